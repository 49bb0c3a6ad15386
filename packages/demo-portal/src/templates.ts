/**
 * Page templates carved out of the extractor's golden pages, so every page of a demo portal wears the same
 * furniture (nav, sidebars, teaser lists, footer) as the golden page it imitates. A template is the golden
 * page with the article body cut out and the title, dates, path and description replaced by tokens; the
 * seed article rendered through its own template gives back the golden page (with localised URLs).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeGbk } from './gbk.js'
import type { PortalId } from './types.js'

/** Stands for the host's base URL until the port is known. */
export const BASE = '\u0000BASE\u0000'

/** How one portal's pages are built from its golden page. */
export interface Skin {
  portal: PortalId
  /** Name the site gives itself. */
  name: string
  /** Golden page directory under the fixtures directory. */
  slug: string
  charset: 'utf-8' | 'gbk'
  /** Path of the seed article on the demo host (the golden page's own URL path). */
  seedPath: string
  /** The body is what lies between these two markers (both kept in the template). */
  bodyStart: string
  bodyEnd: string
  /** Forms the seed title takes in the page, most specific first, and how a new title is written in each. */
  titleForms: Array<{ seed: string; render: (title: string) => string }>
  /** Date strings of the seed page and how a new date (ISO with offset) is written in their place. */
  dateForms: Array<{ seed: string; render: (iso: string) => string }>
  /** Markup of one paragraph of a written article. */
  paragraph: (text: string) => string
  /** Blocks of a written article: paragraphs plus the portal's way of crediting reporters. */
  compose: (paragraphs: string[], byline: string | undefined, iso: string) => string[]
  /** Joins blocks into the body (the pinyin mirror has no paragraph markup). @default '\n' */
  join?: string
  /** Where list pages put their content: between these markers of the page (kept). */
  main?: { start: string; end: string }
}

/** A skin's carved golden page. */
export interface Template {
  skin: Skin
  /** The golden page with tokens in place of title, dates, path, description and body. */
  page: string
  /** Golden body, split into blocks (one per line). */
  seedBlocks: string[]
  /** The golden `<meta name="description">` content. */
  seedDescription: string
}

/** What to render into a template. */
export interface PageContent {
  title: string
  publishedAt: string
  path: string
  /** Already escaped for an attribute value. */
  description: string
  blocks: string[]
}

/**
 * Read a skin's golden page and cut it into a template.
 * @throws {Error} when a marker or seed string is missing (the golden page changed under the demo).
 */
export function carveTemplate(skin: Skin, fixturesDir: string): Template {
  const bytes = readFileSync(join(fixturesDir, skin.slug, 'source.html'))
  // GBK bytes are decoded before any rewriting: a GBK trail byte can look like ASCII, so byte-level
  // edits could cut a character in half.
  const raw = skin.charset === 'gbk' ? decodeGbk(bytes) : bytes.toString('utf8')
  const html = localiseUrls(raw)
  const start = indexOrThrow(html, skin.bodyStart, skin) + skin.bodyStart.length
  const end = indexOrThrow(html, skin.bodyEnd, skin, start)
  let shell = `${html.slice(0, start)}${TOKEN.body}${html.slice(end)}`
  // The description often starts with the title: take it out first so it stays whole.
  const description = /<meta name="description" content="([^"]*)"/.exec(shell)
  if (!description?.[1]) throw new Error(`[demo-portal] ${skin.slug}: no <meta name="description">`)
  shell = shell.replace(description[0], `<meta name="description" content="${TOKEN.description}"`)
  skin.titleForms.forEach((form, i) => {
    indexOrThrow(shell, form.seed, skin)
    shell = shell.split(form.seed).join(token('title', i))
  })
  skin.dateForms.forEach((form, i) => {
    indexOrThrow(shell, form.seed, skin)
    shell = shell.split(form.seed).join(token('date', i))
  })
  shell = shell.split(`${BASE}${skin.seedPath}`).join(`${BASE}${TOKEN.path}`)
  return {
    skin,
    page: shell,
    seedBlocks: html.slice(start, end).split('\n'),
    seedDescription: description[1],
  }
}

/** Render an article page (still holding `BASE`). */
export function renderArticle(template: Template, content: PageContent): string {
  const { skin } = template
  let page = template.page
  skin.titleForms.forEach((form, i) => {
    page = page.split(token('title', i)).join(escapeHtml(form.render(content.title)))
  })
  skin.dateForms.forEach((form, i) => {
    page = page.split(token('date', i)).join(form.render(content.publishedAt))
  })
  return page
    .split(TOKEN.path)
    .join(content.path)
    .split(TOKEN.description)
    .join(content.description)
    .split(TOKEN.body)
    .join(content.blocks.join(skin.join ?? '\n'))
}

/**
 * Render a non-article page (a list page) in the portal's furniture: the template's head and foot around
 * `inner`, with `title` as the page title.
 */
export function renderChrome(template: Template, title: string, inner: string): string {
  const main = template.skin.main
  if (!main) throw new Error(`[demo-portal] ${template.skin.slug}: no list-page markers`)
  const page = renderArticle(template, {
    title,
    publishedAt: '2024-01-01T00:00:00+08:00',
    path: '/',
    description: title,
    blocks: [],
  })
  const start = indexOrThrow(page, main.start, template.skin) + main.start.length
  const end = indexOrThrow(page, main.end, template.skin, start)
  return `${page.slice(0, start)}\n${inner}\n${page.slice(end)}`
}

/** Replace every absolute http(s) origin with `BASE`, so no page links to a public host. */
export function localiseUrls(html: string): string {
  // w3.org URLs are doctype and namespace identifiers, never fetched.
  return html.replace(/https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+(?::\d+)?/gi, BASE)
}

/** Escape text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ESCAPES[c] ?? c)
}

/** `2023-05-15T09:32:17+08:00` -> `2023-05-15 09:32:17` (the wall-clock time as written). */
export function localDateTime(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ')
}

// --- Internal helpers ---

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }

const TOKEN = { body: '\u0000BODY\u0000', path: '\u0000PATH\u0000', description: '\u0000DESC\u0000' }

function token(kind: string, i: number): string {
  return `\u0000${kind.toUpperCase()}${i}\u0000`
}

function indexOrThrow(text: string, needle: string, skin: Skin, from = 0): number {
  const i = text.indexOf(needle, from)
  if (i === -1) throw new Error(`[demo-portal] ${skin.slug}: marker not found: ${JSON.stringify(needle.slice(0, 60))}`)
  return i
}
