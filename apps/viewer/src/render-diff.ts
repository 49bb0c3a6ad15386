/**
 * @file The diff screen: metadata changes on top, then the body inline or side by side, with word-level
 * `<ins>` / `<del>` inside changed paragraphs and moved paragraphs marked. Every changed block carries the
 * `chg` class and an id (`chg-1`, `chg-2` …) that `viewer.js` walks with `j` / `k`.
 */
import type { MetadataChange, ParagraphChange, WordSegment } from '@parkwatch/archive'
import type { DiffResult } from './data.js'
import { dualTime, href, html, type RenderContext, type SafeHtml } from './html.js'

/** Inline (one column) or side-by-side (two columns). */
export type DiffView = 'inline' | 'side'

/** The view names accepted by `?view=`. */
export const DIFF_VIEWS: readonly DiffView[] = ['inline', 'side']

/**
 * Render the body of the diff page.
 *
 * @example
 * layout(ctx, 'Diff', renderDiffPage(ctx, await data.diff(url, 1, 2, false), 'inline', 3))
 */
export function renderDiffPage(ctx: RenderContext, r: DiffResult, view: DiffView, versionCount: number): SafeHtml {
  const { t } = ctx
  const url = r.page.url
  const params = { url, from: r.from.number, to: r.to.number, ignorePunct: r.ignorePunct, view }
  const permalink = href(ctx, '/diff', { ...params, view: view === 'inline' ? undefined : view })
  const options = (selected: number): SafeHtml[] =>
    Array.from(
      { length: versionCount },
      (_, i) => html`<option value="${i + 1}"${i + 1 === selected ? html` selected` : ''}>v${i + 1}</option>`,
    )
  const s = r.diff.summary
  return html`<h1>${t('diff')}: ${r.to.title}</h1>
<p class="crumbs"><a href="${href(ctx, '/page', { url })}">${t('timeline')}</a> · <span class="url">${url}</span></p>
<form class="diff-controls" action="${href(ctx, '/diff')}" method="get">
<input type="hidden" name="url" value="${url}">
<label>${t('from')} <select name="from">${options(r.from.number)}</select></label>
<label>${t('to')} <select name="to">${options(r.to.number)}</select></label>
<label><input type="checkbox" name="ignorePunct" value="1"${r.ignorePunct ? html` checked` : ''}> ${t('ignorePunct')}</label>
<label><select name="view"><option value="inline"${view === 'inline' ? html` selected` : ''}>${t('inline')}</option><option value="side"${view === 'side' ? html` selected` : ''}>${t('sideBySide')}</option></select></label>
<button type="submit">${t('compare')}</button>
</form>
<p class="toggles">
<a href="${href(ctx, '/diff', { ...params, view: 'inline' })}"${view === 'inline' ? html` aria-current="true"` : ''}>${t('inline')}</a> ·
<a href="${href(ctx, '/diff', { ...params, view: 'side' })}"${view === 'side' ? html` aria-current="true"` : ''}>${t('sideBySide')}</a> ·
<a class="toggle-punct" href="${href(ctx, '/diff', { ...params, ignorePunct: !r.ignorePunct })}">${r.ignorePunct ? t('showAll') : t('ignorePunct')}</a> ·
<a class="permalink" href="${permalink}">${t('permalink')}</a>
</p>
<div class="versions-pair">
<div><strong>v${r.from.number}</strong> ${dualTime(r.from.createdAt)}</div>
<div><strong>v${r.to.number}</strong> ${dualTime(r.to.createdAt)}</div>
</div>
<p class="summary" id="diff-summary"><span class="plus">+${s.charsAdded}</span> <span class="minus">−${s.charsRemoved}</span>
· ¶ +${s.paragraphsAdded} −${s.paragraphsRemoved} ~${s.paragraphsChanged} ↕${s.paragraphsMoved}</p>
<nav class="changenav" aria-label="changes"><button type="button" data-nav="prev">${t('prevChange')}</button> <span class="changepos" aria-live="polite"></span> <button type="button" data-nav="next">${t('nextChange')}</button></nav>
${r.diff.identical ? html`<p class="identical">${t('identical')}</p>` : ''}
${renderMetadata(ctx, r.diff.metadata)}
${view === 'side' ? renderSide(ctx, r.diff.paragraphs) : renderInline(ctx, r.diff.paragraphs)}`
}

// --- Internal helpers ---

function renderMetadata(ctx: RenderContext, changes: readonly MetadataChange[]): SafeHtml | '' {
  if (changes.length === 0) return ''
  const { t } = ctx
  const value = (v: string | string[] | null): string => (v === null ? '—' : Array.isArray(v) ? v.join('、') : v)
  const rows = changes.map(
    (m) => html`<tr class="chg meta-chg"><th scope="row">${m.field}</th>
<td>${m.words ? segments(m.words, 'old') : html`<del>${value(m.before)}</del>`}</td>
<td>${m.words ? segments(m.words, 'new') : html`<ins>${value(m.after)}</ins>`}</td></tr>`,
  )
  return html`<section class="metadata"><h2>${t('metadata')}</h2>
<table><thead><tr><th>${t('field')}</th><th>${t('before')}</th><th>${t('after')}</th></tr></thead><tbody>${rows}</tbody></table></section>`
}

function renderInline(ctx: RenderContext, paragraphs: readonly ParagraphChange[]): SafeHtml {
  const out: SafeHtml[] = []
  // Long runs of unchanged paragraphs fold away (one paragraph of context kept on each side of a change).
  for (let i = 0; i < paragraphs.length; ) {
    if (paragraphs[i]?.op !== 'equal') {
      out.push(inlineParagraph(ctx, paragraphs[i] as ParagraphChange))
      i++
      continue
    }
    let j = i
    while (j < paragraphs.length && paragraphs[j]?.op === 'equal') j++
    const run = paragraphs.slice(i, j).map((p) => inlineParagraph(ctx, p))
    const head = i === 0 ? 0 : 1
    const tail = j === paragraphs.length ? 0 : 1
    if (run.length - head - tail >= FOLD_MIN) {
      const hidden = run.slice(head, run.length - tail)
      out.push(...run.slice(0, head))
      out.push(
        html`<details class="unchanged"><summary>${ctx.t('unchanged')} (${hidden.length})</summary>${hidden}</details>`,
      )
      out.push(...run.slice(run.length - tail))
    } else {
      out.push(...run)
    }
    i = j
  }
  return html`<section class="diff inline" lang="zh">${out}</section>`
}

/** Fewest unchanged paragraphs worth folding. */
const FOLD_MIN = 3

function inlineParagraph(ctx: RenderContext, p: ParagraphChange): SafeHtml {
  switch (p.op) {
    case 'equal':
      return html`<p class="para">${p.after?.text ?? ''}</p>`
    case 'added':
      return html`<p class="para chg added"><ins>${p.after?.text ?? ''}</ins></p>`
    case 'removed':
      return html`<p class="para chg removed"><del>${p.before?.text ?? ''}</del></p>`
    case 'changed':
      return html`<p class="para chg changed">${segments(p.words ?? [], 'all')}</p>`
    default:
      return html`<p class="para chg moved">${movedBadge(ctx, p)}${p.words ? segments(p.words, 'all') : (p.after?.text ?? '')}</p>`
  }
}

function renderSide(ctx: RenderContext, paragraphs: readonly ParagraphChange[]): SafeHtml {
  const rows = paragraphs.map((p) => {
    switch (p.op) {
      case 'equal':
        return html`<tr><td>${p.before?.text ?? ''}</td><td>${p.after?.text ?? ''}</td></tr>`
      case 'added':
        return html`<tr class="chg added"><td class="empty"></td><td><ins>${p.after?.text ?? ''}</ins></td></tr>`
      case 'removed':
        return html`<tr class="chg removed"><td><del>${p.before?.text ?? ''}</del></td><td class="empty"></td></tr>`
      case 'changed':
        return html`<tr class="chg changed"><td>${segments(p.words ?? [], 'old')}</td><td>${segments(p.words ?? [], 'new')}</td></tr>`
      default:
        return html`<tr class="chg moved"><td>${movedBadge(ctx, p)}${p.words ? segments(p.words, 'old') : (p.before?.text ?? '')}</td><td>${movedBadge(ctx, p)}${p.words ? segments(p.words, 'new') : (p.after?.text ?? '')}</td></tr>`
    }
  })
  return html`<section class="diff side" lang="zh"><table><tbody>${rows}</tbody></table></section>`
}

function movedBadge(ctx: RenderContext, p: ParagraphChange): SafeHtml {
  const from = (p.oldIndex ?? 0) + 1
  const to = (p.newIndex ?? 0) + 1
  return html`<span class="badge moved-badge" title="¶${from} → ¶${to}">${ctx.t('moved')} ¶${from} → ¶${to}</span> `
}

/** Word segments: `all` shows both sides, `old` the removed and equal words, `new` the added and equal ones. */
function segments(words: readonly WordSegment[], side: 'all' | 'old' | 'new'): SafeHtml[] {
  return words.map((w) => {
    if (w.op === 'equal') return html`${w.text}`
    if (w.op === 'added') return side === 'old' ? html`` : html`<ins>${w.text}</ins>`
    return side === 'new' ? html`` : html`<del>${w.text}</del>`
  })
}
