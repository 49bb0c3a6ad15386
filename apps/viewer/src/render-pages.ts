/**
 * @file Server-rendered screens other than the diff: home (recent changes, facets, filters), search
 * results, an article's timeline with its change chart, a version and a raw capture. Every value from the
 * archive goes through the escaping `html` template.
 */
import type { Capture, Page, SearchHit, Timeline, Version, VersionChange } from '@parkwatch/archive'
import type { Facets, PageList } from './data.js'
import { dualTime, formatBytes, href, html, type RenderContext, type SafeHtml } from './html.js'
import { fieldName, industryName, type MessageKey } from './i18n.js'
import { INDUSTRIES, type PageFilters } from './params.js'

/** Home: filters, facet counts and the recent changes list. */
export function renderHome(ctx: RenderContext, list: PageList, facets: Facets, filters: PageFilters): SafeHtml {
  const { t } = ctx
  const f = filterParams(filters)
  const dateValue = (iso: string | Date | undefined): string => (iso ? String(iso).slice(0, 10) : '')
  const rows = list.pages.map(
    (p) => html`<tr>
<td><a class="page-link" href="${href(ctx, '/page', { url: p.url })}">${p.title ?? p.url}</a><br><small class="url">${p.host}</small>
${p.industries.map((i) => html` <span class="tag">${industryName(ctx.lang, i)}</span>`)}</td>
<td>${dualTime(p.lastChangedAt)}</td>
<td>${changeFigures(ctx, p.lastChange, p.versionCount === 1)}</td>
<td class="num">${p.versionCount}${p.versionCount > 1 ? html`<br><a class="diff-link" href="${href(ctx, '/diff', { url: p.url, from: p.versionCount - 1, to: p.versionCount })}">${t('diff')}</a>` : ''}</td>
<td class="num">${p.captureCount}</td></tr>`,
  )
  const prev =
    list.offset > 0 ? href(ctx, '/', { ...f, offset: Math.max(0, list.offset - list.limit) || undefined }) : null
  const next = list.offset + list.limit < list.total ? href(ctx, '/', { ...f, offset: list.offset + list.limit }) : null
  return html`<p class="stats">${t('stats')}: ${facets.pages} ${t('pages')} · ${facets.versions} ${t('versions')} · ${facets.captures} ${t('captures')}</p>
<div class="home">
<aside>
<form class="filters" action="${href(ctx, '/')}" method="get">
<h2>${t('filters')}</h2>
<label>${t('site')} <select name="host"><option value="">${t('any')}</option>${facets.hosts.map((h) => html`<option value="${h.host}"${h.host === filters.host ? html` selected` : ''}>${h.host}</option>`)}</select></label>
<label>${t('source')} <input name="source" value="${filters.source ?? ''}"></label>
<label>${t('industry')} <select name="industry"><option value="">${t('any')}</option>${INDUSTRIES.map((i) => html`<option value="${i}"${i === filters.industry ? html` selected` : ''}>${industryName(ctx.lang, i)}</option>`)}</select></label>
<label>${t('publishedFrom')} <input type="date" name="from" value="${dateValue(filters.publishedFrom)}"></label>
<label>${t('publishedTo')} <input type="date" name="to" value="${dateValue(filters.publishedTo)}"></label>
<label>${t('changedSince')} <input type="date" name="changedSince" value="${dateValue(filters.changedSince)}"></label>
<label>${t('minVersions')} <input type="number" min="1" name="minVersions" value="${filters.minVersions ?? ''}"></label>
<button type="submit">${t('apply')}</button>
</form>
<section class="facets"><h2>${t('bySite')}</h2><ul>${facets.hosts.map((h) => html`<li><a href="${href(ctx, '/', { host: h.host })}">${h.host}</a> <span class="count">${h.pages}</span></li>`)}</ul>
<h2>${t('byIndustry')}</h2><ul>${facets.industries.map((i) => html`<li><a href="${href(ctx, '/', { industry: i.industry })}">${industryName(ctx.lang, i.industry)}</a> <span class="count">${i.pages}</span></li>`)}</ul></section>
</aside>
<section class="changes"><h1>${t('recentChanges')} <small>(${list.total})</small></h1>
${
  list.pages.length === 0
    ? html`<p>${t('noPages')}</p>`
    : html`<table class="list"><thead><tr><th>${t('title')}</th><th>${t('changed')}</th><th>${t('howMuch')}</th><th>${t('versions')}</th><th>${t('captures')}</th></tr></thead><tbody>${rows}</tbody></table>`
}
<nav class="pager">${prev ? html`<a rel="prev" href="${prev}">${t('previous')}</a>` : ''} ${next ? html`<a rel="next" href="${next}">${t('next')}</a>` : ''}</nav>
</section>
</div>`
}

/** Search results with `<mark>`ed snippets. */
export function renderSearch(ctx: RenderContext, q: string, hits: readonly SearchHit[]): SafeHtml {
  const { t } = ctx
  return html`<h1>${t('search')}: ${q} <small>(${hits.length} ${t('results')})</small></h1>
${
  hits.length === 0
    ? html`<p>${t('noResults')}</p>`
    : html`<ol class="hits">${hits.map(
        (
          h,
        ) => html`<li class="hit"><a class="hit-title" href="${href(ctx, '/version', { id: h.versionId })}">${h.title}</a>
<small>v${h.versionNumber} · ${dualTime(h.createdAt)} · <a href="${href(ctx, '/page', { url: h.url })}">${t('timeline')}</a></small>
<p class="snippet">${snippet(h.snippet)}</p><small class="url">${h.url}</small></li>`,
      )}</ol>`
}`
}

/** Captures listed on a timeline unless `?captures=all`; the chart always shows every one. */
export const TIMELINE_CAPTURE_LIMIT = 200

/** An article's timeline: page facts, the change chart, versions and the newest captures (or all). */
export function renderTimeline(ctx: RenderContext, tl: Timeline, allCaptures = false): SafeHtml {
  const { t } = ctx
  const shown = [...tl.captures].reverse().slice(0, allCaptures ? undefined : TIMELINE_CAPTURE_LIMIT)
  const p = tl.page
  const n = tl.versions.length
  const versionOpts = (sel: number): SafeHtml[] =>
    tl.versions.map(
      (v) => html`<option value="${v.number}"${v.number === sel ? html` selected` : ''}>v${v.number}</option>`,
    )
  return html`<h1>${p.title ?? p.url}</h1>
<p class="crumbs"><a href="${href(ctx, '/')}">${t('home')}</a> · <a class="url" href="${p.url}" rel="noreferrer noopener" target="_blank">${p.url}</a></p>
<dl class="facts">
<dt>${t('site')}</dt><dd>${p.host}</dd><dt>${t('source')}</dt><dd>${p.source}</dd>
<dt>${t('firstCaptured')}</dt><dd>${dualTime(p.firstCapturedAt)}</dd><dt>${t('lastCaptured')}</dt><dd>${dualTime(p.lastCapturedAt)}</dd>
<dt>${t('industry')}</dt><dd>${p.industries.map((i) => industryName(ctx.lang, i)).join('、') || '—'}</dd>
</dl>
${changeChart(ctx, tl)}
${
  n > 1
    ? html`<form class="diff-controls" action="${href(ctx, '/diff')}" method="get"><input type="hidden" name="url" value="${p.url}">
<label>${t('from')} <select name="from">${versionOpts(n - 1)}</select></label> <label>${t('to')} <select name="to">${versionOpts(n)}</select></label>
<button type="submit">${t('compare')}</button></form>`
    : ''
}
<h2>${t('versions')} (${n})</h2>
<table class="list versions"><thead><tr><th>#</th><th>${t('changed')}</th><th>${t('howMuch')}</th><th>${t('title')}</th><th></th></tr></thead><tbody>
${[...tl.versions].reverse().map(
  (
    v,
  ) => html`<tr id="v${v.number}"><td><a href="${href(ctx, '/version', { id: v.id })}">v${v.number}</a></td><td>${dualTime(v.createdAt)}</td><td>${changeFigures(ctx, v.change, v.number === 1)}</td><td>${v.title}</td>
<td>${v.number > 1 ? html`<a class="diff-link" href="${href(ctx, '/diff', { url: p.url, from: v.number - 1, to: v.number })}">${t('compareWithPrevious')}</a> · ` : ''}<a href="${href(ctx, '/capture', { id: v.captureId })}">${t('raw')}</a></td></tr>`,
)}</tbody></table>
<h2>${t('captures')} (${tl.captures.length})</h2>
<table class="list captures"><thead><tr><th>#</th><th>${t('fetchedAt')}</th><th>${t('outcome')}</th><th>${t('status')}</th><th>${t('version')}</th><th>${t('size')}</th></tr></thead><tbody>
${shown.map(
  (
    c,
  ) => html`<tr class="outcome-${c.outcome}"><td><a href="${href(ctx, '/capture', { id: c.id })}">${c.id}</a></td><td>${dualTime(c.fetchedAt)}</td>
<td>${c.outcome}${c.error ? html`<br><small>${c.error}</small>` : ''}</td><td>${c.status ?? '—'}</td><td>${c.versionNumber === null ? '—' : `v${c.versionNumber}`}</td><td>${formatBytes(c.bodySize)}</td></tr>`,
)}</tbody></table>
${shown.length < tl.captures.length ? html`<p><a class="all-captures" href="${href(ctx, '/page', { url: p.url, captures: 'all' })}">${t('allCaptures')} (${tl.captures.length})</a></p>` : ''}`
}

/** A version: the clean article (as text blocks) and its metadata. */
export function renderVersion(ctx: RenderContext, v: Version, page: Page): SafeHtml {
  const { t } = ctx
  const a = v.article
  const blocks = a.paragraphs.map((b) => {
    if (b.kind === 'heading') return html`<h3>${b.text}</h3>`
    if (b.kind === 'quote') return html`<blockquote>${b.text}</blockquote>`
    return html`<p class="${b.kind}">${b.text}</p>`
  })
  return html`<h1>${v.title}</h1>
<p class="crumbs"><a href="${href(ctx, '/page', { url: v.url })}">${t('timeline')}</a> · v${v.number} / ${page.versionCount}
${v.number > 1 ? html` · <a class="diff-link" href="${href(ctx, '/diff', { url: v.url, from: v.number - 1, to: v.number })}">${t('compareWithPrevious')}</a>` : ''}
· <a href="${href(ctx, '/capture', { id: v.captureId })}">${t('raw')}</a>
· <a class="download" href="${href(ctx, `/api/captures/${v.captureId}/raw`)}" download>${t('download')}</a>
· <a class="download-warc" href="${href(ctx, `/api/captures/${v.captureId}/warc`)}" download>${t('downloadWarc')}</a></p>
<dl class="facts">
<dt>${t('howMuch')}</dt><dd>${changeFigures(ctx, v.change, v.number === 1)}</dd>
<dt>${t('version')}</dt><dd>${dualTime(v.createdAt)}</dd>
<dt>${t('byline')}</dt><dd>${a.byline.join('、') || '—'}</dd><dt>${t('editors')}</dt><dd>${a.editors.join('、') || '—'}</dd>
<dt>${t('source')}</dt><dd>${a.source ?? '—'}</dd><dt>${t('published')}</dt><dd>${dualTime(a.publishedAt)}</dd>
<dt>${t('modified')}</dt><dd>${dualTime(a.modifiedAt)}</dd>
<dt>${t('industry')}</dt><dd>${a.industries.map((i) => industryName(ctx.lang, i.industry)).join('、') || '—'}</dd>
</dl>
<article class="article" lang="${a.lang ?? 'zh'}">${blocks}</article>`
}

/** A raw capture: facts, response headers, the sandboxed frame and the download links. */
export function renderCapture(ctx: RenderContext, c: Capture): SafeHtml {
  const { t } = ctx
  // A 304 has no body but is still a WARC `revisit`; only a failed fetch has nothing to export.
  const warc =
    c.outcome === 'failed'
      ? ''
      : html`<a class="download-warc" href="${href(ctx, `/api/captures/${c.id}/warc`)}" download>${t('downloadWarc')}</a>`
  return html`<h1>${t('capture')} #${c.id}</h1>
<p class="crumbs"><a href="${href(ctx, '/page', { url: c.url })}">${t('timeline')}</a>${c.versionId !== null ? html` · <a href="${href(ctx, '/version', { id: c.versionId })}">v${c.versionNumber}</a>` : ''}</p>
<dl class="facts">
<dt>${t('fetchedAt')}</dt><dd>${dualTime(c.fetchedAt)}</dd><dt>${t('outcome')}</dt><dd>${c.outcome} ${c.status ?? ''}</dd>
<dt>${t('requested')}</dt><dd class="url">${c.requestedUrl}</dd><dt>${t('finalUrl')}</dt><dd class="url">${c.finalUrl ?? '—'}</dd>
<dt>${t('size')}</dt><dd>${formatBytes(c.bodySize)}</dd>
</dl>
${
  c.bodyHash === null
    ? html`<p>${t('noBody')}${warc ? html` ${warc}` : ''}</p>`
    : html`<p><a class="download" href="${href(ctx, `/api/captures/${c.id}/raw`)}" download>${t('download')}</a> · ${warc}</p>
<p class="note">${t('rawNote')}</p>
<iframe class="raw-frame" sandbox src="${href(ctx, `/capture/${c.id}/frame`)}" title="${t('raw')} #${c.id}" referrerpolicy="no-referrer"></iframe>`
}
<details><summary>${t('headers')} (${c.headers.length})</summary>
<table class="headers">${c.headers.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</table></details>`
}

/** An error page body. */
export function renderError(ctx: RenderContext, status: number, message: string): SafeHtml {
  return html`<h1>${status === 404 ? ctx.t('notFound') : ctx.t('error')} (${status})</h1><p class="error">${message}</p>
<p><a href="${href(ctx, '/')}">${ctx.t('home')}</a></p>`
}

/**
 * How much a version changed, compactly: `+added −removed` characters, then the paragraphs edited, added,
 * removed and moved and the metadata fields that changed. A first version (`first`) is all new: only its
 * size is shown. Null (a page that never yielded an article) renders a dash.
 *
 * @example
 * changeFigures(ctx, page.lastChange, page.versionCount === 1) // +3 −2 字 / 改 1 段 · 标题、作者
 */
export function changeFigures(ctx: RenderContext, change: VersionChange | null, first: boolean): SafeHtml {
  if (change === null) return html`—`
  const { t } = ctx
  if (first) {
    return html`<span class="delta"><span class="new">${t('newPage')}</span> <span class="plus">+${num(change.charsAdded)}</span> <small>${t('chars')}</small></span>`
  }
  const paras = PARAGRAPH_COUNTS.filter(([field]) => change[field] > 0).map(([field, key]) =>
    t(key).replace('{n}', num(change[field])),
  )
  const fields = change.metadata.map((f) => fieldName(ctx.lang, f)).join(ctx.lang === 'zh' ? '、' : ', ')
  const more = [...paras, fields].filter((x) => x !== '').join(' · ')
  return html`<span class="delta"><span class="plus">+${num(change.charsAdded)}</span> <span class="minus">−${num(change.charsRemoved)}</span> <small>${t('chars')}</small>${more ? html`<br><small class="delta-more">${more}</small>` : ''}</span>`
}

// --- Internal helpers ---

/** The paragraph counts of a change, in display order, with their message. */
const PARAGRAPH_COUNTS: ReadonlyArray<readonly [keyof VersionChange & `paragraphs${string}`, MessageKey]> = [
  ['paragraphsChanged', 'parasChanged'],
  ['paragraphsAdded', 'parasAdded'],
  ['paragraphsRemoved', 'parasRemoved'],
  ['paragraphsMoved', 'parasMoved'],
]

/** An integer with thousands separators (`20,031`), without the cost of `toLocaleString`. */
function num(n: number): string {
  return n < 1000 ? String(n) : String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** The archive marks matches as `[word]`; escape everything, then turn the marks into `<mark>`. */
function snippet(text: string): SafeHtml[] {
  const parts: SafeHtml[] = []
  const re = /\[([^[\]]*)\]/g
  let last = 0
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    parts.push(html`${text.slice(last, m.index)}<mark>${m[1]}</mark>`)
    last = m.index + m[0].length
  }
  parts.push(html`${text.slice(last)}`)
  return parts
}

function filterParams(f: PageFilters): Record<string, unknown> {
  const day = (d: string | Date | undefined): string | undefined => (d ? String(d).slice(0, 10) : undefined)
  return {
    host: f.host,
    source: f.source,
    industry: f.industry,
    from: day(f.publishedFrom),
    to: day(f.publishedTo),
    changedSince: day(f.changedSince),
    minVersions: f.minVersions,
    limit: f.limit === 50 ? undefined : f.limit,
  }
}

/** A small SVG strip: one tick per capture (grey, red when failed), one dot per new version (blue). */
function changeChart(ctx: RenderContext, tl: Timeline): SafeHtml {
  const times = tl.captures.map((c) => Date.parse(c.fetchedAt)).filter((x) => !Number.isNaN(x))
  if (times.length === 0) return html``
  const min = Math.min(...times)
  const span = Math.max(1, Math.max(...times) - min)
  const x = (iso: string): number => 10 + ((Date.parse(iso) - min) / span) * 580
  const ticks = tl.captures.map(
    (c) =>
      html`<line x1="${x(c.fetchedAt).toFixed(1)}" x2="${x(c.fetchedAt).toFixed(1)}" y1="30" y2="50" class="tick ${c.outcome}"><title>#${c.id} ${c.fetchedAt} ${c.outcome}</title></line>`,
  )
  const dots = tl.versions.map(
    (v) =>
      html`<circle cx="${x(v.createdAt).toFixed(1)}" cy="18" r="6" class="vdot"><title>v${v.number} ${v.createdAt}</title></circle>`,
  )
  return html`<figure class="chart"><svg viewBox="0 0 600 60" role="img" aria-label="${ctx.t('chartLabel')}" xmlns="http://www.w3.org/2000/svg">
<line x1="10" x2="590" y1="50" y2="50" class="axis"></line>${ticks}${dots}</svg>
<figcaption>${ctx.t('chartLabel')}</figcaption></figure>`
}
