/**
 * The decaying revisit policy: a known article is fetched again often while it is young (edits come early:
 * a corrected figure, an added paragraph, a new title) and ever more rarely as it ages, then no more. The
 * steps come from the sources file (`revisit: { steps: [{ until, every }], maxAge }`, resolved by the
 * scraper's `parseSources`); `DEFAULT_REVISIT` is every 15 min under 3 h, hourly under a day, daily under a
 * week, weekly up to 30 days.
 */
import { DEFAULT_REVISIT, type RevisitPolicy } from '@parkwatch/scraper'

export { DEFAULT_REVISIT }

/**
 * What an article's age counts from. `first-seen`: the first time parkwatch saw the URL (robust against
 * missing, wrong or old dates: a portal's sitemap is full of articles published years ago that still get
 * edited when first noticed). `published`: the publication date when known, else first seen.
 */
export type RevisitAgeFrom = 'first-seen' | 'published'

/** What the policy needs to know about a URL. */
export interface RevisitSubject {
  /** When parkwatch first saw the URL (epoch ms). */
  firstSeenAt: number
  /** Publication time (epoch ms), when known. @default null */
  publishedAt?: number | null
}

/** Options of `nextVisitAt`. */
export interface NextVisitOptions {
  /** @default 'first-seen' */
  ageFrom?: RevisitAgeFrom
}

/**
 * When to visit a URL next, given the time of this visit, or null to stop visiting it.
 *
 * The interval is the one of the first step whose `untilMs` is above the article's age now; past
 * `maxAgeMs` (or past the last step) the article is left alone. A next visit never lands after the age
 * limit, except that one final visit is allowed right at the limit so a late edit is still caught once.
 *
 * @example
 * ```ts
 * nextVisitAt(DEFAULT_REVISIT, { firstSeenAt: t0 }, t0 + 60_000) // t0 + 60_000 + 15 min
 * nextVisitAt(DEFAULT_REVISIT, { firstSeenAt: t0 }, t0 + 31 * 86_400_000) // null
 * ```
 */
export function nextVisitAt(
  policy: RevisitPolicy,
  subject: RevisitSubject,
  now: number,
  options: NextVisitOptions = {},
): number | null {
  const born = ageBase(subject, options.ageFrom ?? 'first-seen')
  const age = Math.max(0, now - born)
  if (age >= policy.maxAgeMs) return null
  const step = policy.steps.find((s) => age < s.untilMs)
  if (!step) return null
  const next = now + step.everyMs
  const limit = born + policy.maxAgeMs
  return next > limit ? (now < limit ? limit : null) : next
}

/**
 * Every planned visit of a URL first seen at `firstSeenAt`, as offsets in ms (for docs and tests):
 * `visitPlan(DEFAULT_REVISIT).length` is how many fetches one article costs over its life.
 */
export function visitPlan(policy: RevisitPolicy, firstSeenAt = 0): number[] {
  const out: number[] = [0]
  let at: number | null = firstSeenAt
  // Bounded: even a 1 ms step over 30 days would be a bug in the sources file, not a plan to print.
  while (out.length < 100_000) {
    at = nextVisitAt(policy, { firstSeenAt }, at)
    if (at === null) break
    out.push(at - firstSeenAt)
  }
  return out
}

// --- Internal helpers ---

function ageBase(subject: RevisitSubject, from: RevisitAgeFrom): number {
  const published = subject.publishedAt
  // A publication date in the future (clock skew, a typo on the portal) would make the article look
  // eternally young: fall back to first-seen then.
  if (from === 'published' && published != null && Number.isFinite(published) && published <= subject.firstSeenAt) {
    return published
  }
  return subject.firstSeenAt
}
