/**
 * Article pages at each revision: the catalogue's edits applied in order, rendered through the portal's
 * template (or as a JavaScript application shell), encoded, and given an ETag that depends only on the
 * bytes, so validators change exactly when the content does.
 */
import type { ArticleSpec, Edit } from './catalogue.js'
import { encodePage } from './gbk.js'
import { etagOf } from './server.js'
import { BASE, escapeHtml, renderArticle, type Template } from './templates.js'
import { MAX_REVISION } from './types.js'

/** An article's content at one revision. */
export interface ArticleVersion {
  title: string
  /** Body blocks in the portal's markup. */
  blocks: string[]
}

/** A page ready to serve. */
export interface RenderedPage {
  bytes: Uint8Array
  /** Strong validator: a hash of `bytes`. */
  etag: string
  title: string
  /** The start of the text, for feed summaries. */
  summary: string
}

/**
 * The article at revisions 0..MAX_REVISION.
 * @throws {Error} when an edit does not apply (its anchor text is missing), so catalogue mistakes fail at startup.
 */
export function buildVersions(spec: ArticleSpec, template: Template): ArticleVersion[] {
  const { skin } = template
  const first: ArticleVersion = {
    title: spec.title,
    blocks: spec.seed ? template.seedBlocks : skin.compose(spec.paragraphs ?? [], spec.byline, spec.publishedAt),
  }
  const versions = [first]
  for (let r = 1; r <= MAX_REVISION; r++) {
    let next = versions[r - 1] ?? first
    for (const edit of spec.edits?.[r - 1] ?? []) next = applyEdit(next, edit, template, spec.id)
    versions.push(next)
  }
  return versions
}

/** Render one version to bytes for a host whose base URL is `base`. */
export function renderPage(spec: ArticleSpec, version: ArticleVersion, template: Template, base: string): RenderedPage {
  const html = spec.jsRendered
    ? renderJsShell(spec, version, template.skin.name)
    : renderArticle(template, {
        title: version.title,
        publishedAt: spec.publishedAt,
        path: spec.path,
        description: spec.seed ? template.seedDescription : escapeHtml(summary(version.blocks)),
        blocks: version.blocks,
      })
  const text = html.split(BASE).join(base)
  const bytes = encodePage(text, template.skin.charset)
  return { bytes, etag: etagOf(bytes), title: version.title, summary: summary(version.blocks) }
}

/** Plain text of blocks (tags stripped), for descriptions and feed summaries. */
export function plainText(blocks: string[]): string {
  return blocks
    .join(' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

/** The first 80 characters of the text, the way CMSes fill `<meta name="description">`. */
export function summary(blocks: string[]): string {
  const text = plainText(blocks)
  return [...text].length > 80 ? `${[...text].slice(0, 80).join('')}…` : text
}

// --- Internal helpers ---

function applyEdit(version: ArticleVersion, edit: Edit, template: Template, id: string): ArticleVersion {
  const blocks = [...version.blocks]
  const find = (text: string): number => {
    const i = blocks.findIndex((b) => b.includes(text))
    if (i === -1) throw new Error(`[demo-portal] ${id}: edit anchor not found: ${text}`)
    return i
  }
  switch (edit.kind) {
    case 'retitle':
      return { title: edit.title, blocks }
    case 'replace': {
      const i = find(edit.from)
      blocks[i] = (blocks[i] ?? '').replace(edit.from, edit.to)
      return { title: version.title, blocks }
    }
    case 'append': {
      // Closing wrappers (`</section>`) and trailing spacers stay last: the update goes inside the body.
      let at = blocks.length
      while (at > 0 && /^\s*(<\/|<p>&nbsp;<\/p>)/.test(blocks[at - 1] ?? '')) at--
      blocks.splice(at, 0, template.skin.paragraph(edit.text))
      return { title: version.title, blocks }
    }
    case 'move': {
      const [moved] = blocks.splice(find(edit.text), 1)
      blocks.splice(find(edit.after) + 1, 0, moved ?? '')
      return { title: version.title, blocks }
    }
  }
}

/**
 * An application shell: no article in the markup, only inline JSON and a script that renders it, with a
 * `<noscript>` plea. What a scraper sees over plain HTTP is an empty page; a browser sees the article.
 */
function renderJsShell(spec: ArticleSpec, version: ArticleVersion, siteName: string): string {
  const state = {
    title: version.title,
    publishedAt: spec.publishedAt,
    byline: spec.byline ?? null,
    paragraphs: spec.paragraphs ?? [],
  }
  // `<` escaped so the JSON cannot close its script element.
  const json = JSON.stringify(state).replace(/</g, '\\u003c')
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(siteName)}</title>
<link rel="canonical" href="${BASE}${spec.path}">
</head>
<body>
<div id="app"></div>
<noscript>请启用 JavaScript 后阅读全文</noscript>
<script type="application/json" id="__INITIAL_STATE__">${json}</script>
<script>
(function () {
  var state = JSON.parse(document.getElementById('__INITIAL_STATE__').textContent);
  var app = document.getElementById('app');
  var article = document.createElement('article');
  var h1 = document.createElement('h1');
  h1.className = 'rich_media_title';
  h1.textContent = state.title;
  document.title = state.title;
  article.appendChild(h1);
  var meta = document.createElement('div');
  meta.className = 'thread-meta';
  meta.textContent = '来源:苏州工业园区发布 ' + state.publishedAt.slice(0, 10);
  article.appendChild(meta);
  var content = document.createElement('div');
  content.id = 'js_content';
  state.paragraphs.forEach(function (text) {
    var p = document.createElement('p');
    p.textContent = text;
    content.appendChild(p);
  });
  if (state.byline) {
    var by = document.createElement('p');
    by.style.textAlign = 'right';
    by.textContent = state.byline;
    content.appendChild(by);
  }
  article.appendChild(content);
  app.appendChild(article);
})();
</script>
</body>
</html>
`
}
