/**
 * The five portal skins: where each golden page keeps its article, how the title and dates appear in its
 * furniture, and how a written article's paragraphs are marked up the way that portal does it (NetEase
 * `<p id>`s, a pinyin-annotated run of text, blog `&nbsp;&nbsp;` indents, a watermark glued to every GBK
 * paragraph, WeChat editor spans and spacers).
 */
import { createHash } from 'node:crypto'
import { escapeHtml, localDateTime, type Skin } from './templates.js'
import type { PortalId } from './types.js'

/** The watermark the aggregator glues to the end of every paragraph. */
export const XJNNET_WATERMARK = 'a0g新江南网| 江南第一生活服务网站'

const TW_SEED_TITLE = '蘇州工業園區:大力布局三大“未來產業” 奮力邁向世界一流高科技園區'
const TW_SEED_TITLE_ANNOTATED = '蘇州工業(yè)園區(qū):大力布局三大“未來產(chǎn)業(yè)” 奮力邁向世界一流高科技園區(qū)'

/** Skins by portal. */
export const SKINS: Readonly<Record<PortalId, Skin>> = {
  netease: {
    portal: 'netease',
    name: '网易江苏',
    slug: 'netease-jiangsu-yiqu-liangzhongxin',
    charset: 'utf-8',
    seedPath: '/dy/article/I4R2P8JS0514D3UH.html',
    bodyStart: '<div class="post_body">\n',
    bodyEnd: '\n      </div>\n      <div class="post_statement">',
    titleForms: [{ seed: '园区“一区两中心”向“高能级”迈进!', render: (t) => t }],
    dateForms: [
      { seed: '2023-05-15T09:32:17+08:00', render: (iso) => iso },
      { seed: '2023-05-15 09:32:17', render: localDateTime },
    ],
    // NetEase gives every paragraph an opaque id; derive one from the text so pages are reproducible.
    paragraph: (text) => `<p id="${shortHash(text, 6).toUpperCase()}MM">${escapeHtml(text)}</p>`,
    compose: (paragraphs) => paragraphs.map((p) => SKINS.netease.paragraph(p)),
    main: { start: '<div class="container clearfix" id="container">', end: '<div class="N-nav-bottom">' },
  },
  twmirror: {
    portal: 'twmirror',
    name: '江蘇新聞網',
    slug: 'pinyin-mirror-suzhou-ai',
    charset: 'utf-8',
    seedPath: '/news/2024/0308/d7f3a21c.html',
    bodyStart: '<div class="content" id="content">',
    bodyEnd: '</div>\n    <p class="bj">',
    titleForms: [
      {
        seed: TW_SEED_TITLE_ANNOTATED,
        // The golden title's own annotation is kept as is; new titles get the table's.
        render: (t) => (t === TW_SEED_TITLE ? TW_SEED_TITLE_ANNOTATED : annotatePinyin(t)),
      },
    ],
    dateForms: [{ seed: '2024-03-08 09:45:21', render: localDateTime }],
    paragraph: (text) => escapeHtml(annotatePinyin(text)),
    // One text node, paragraphs joined by spaces, the reporter in parentheses at the very end.
    compose: (paragraphs, byline) =>
      paragraphs.map((p, i) => {
        const text = SKINS.twmirror.paragraph(p)
        return byline && i === paragraphs.length - 1 ? `${text} (${escapeHtml(byline)})` : text
      }),
    join: ' ',
  },
  blog: {
    portal: 'blog',
    name: '株洲产业招商网',
    slug: 'zhuzhou-blog-sigan-yuanqu',
    charset: 'utf-8',
    seedPath: '/post/18457.html',
    bodyStart: '<div class="single">\n',
    bodyEnd: '\n          </div>\n          <div class="contact-card"',
    titleForms: [{ seed: '苏州工业园区:“四敢”园区进位全国高新第四', render: (t) => t }],
    dateForms: [{ seed: '(2024-09-28)', render: (iso) => `(${iso.slice(0, 10)})` }],
    paragraph: (text) => `<p>&nbsp;&nbsp;${escapeHtml(text)}</p>`,
    // Reporters in parentheses glued to the last paragraph, as the seed does.
    compose: (paragraphs, byline) =>
      paragraphs.map((p, i) => SKINS.blog.paragraph(byline && i === paragraphs.length - 1 ? `${p}(${byline})` : p)),
  },
  xjnnet: {
    portal: 'xjnnet',
    name: '新江南网',
    slug: 'xinjiangnan-watermark-jiangsu',
    charset: 'gbk',
    seedPath: '/news/jiangsu/2023/1231/218563.html',
    bodyStart: '<div class="content"><table width="100%"><tr><td>\n',
    bodyEnd: '\n      </td></tr></table></div>',
    titleForms: [{ seed: '江苏为培育新质生产力厚植创新沃土 立足高新区,做强创新型产业集群', render: (t) => t }],
    dateForms: [{ seed: '2023-12-31 15:58:36', render: localDateTime }],
    paragraph: (text) => `<p>　　${escapeHtml(text)}${XJNNET_WATERMARK}</p>`,
    // Byline first, watermarked like everything else; an empty paragraph closes the body.
    compose: (paragraphs, byline) => [
      ...(byline ? [`<p>${escapeHtml(byline)}${XJNNET_WATERMARK}</p>`] : []),
      ...paragraphs.map((p) => SKINS.xjnnet.paragraph(p)),
      '<p>&nbsp;</p>',
    ],
    main: { start: '<div class="w960 center clear mt1">', end: '<div class="footer w960 center mt1 clear">' },
  },
  wechat: {
    portal: 'wechat',
    name: '微信公众号文章',
    slug: 'wechat-mirror-sip-ai',
    charset: 'utf-8',
    seedPath: '/thread-8837416.htm',
    bodyStart: '<div class="rich_media_content" id="js_content" style="visibility: visible;">\n',
    bodyEnd: '\n        </div>\n        <div class="thread-tools">',
    titleForms: [{ seed: '江苏苏州工业园区:创新不止 人工智能产业蓄势待发', render: (t) => t }],
    dateForms: [],
    paragraph: (text) =>
      `<p style="line-height:1.75em;margin-bottom:15px;text-align:justify;"><span style="font-size:15px;color:rgb(62,62,62);letter-spacing:1px;font-family:mp-quote,-apple-system;">${escapeHtml(text)}</span></p>\n<p style="line-height:1.75em;"><br></p>`,
    // WeChat editor output: a section wrapper, spacer paragraphs, grey right-aligned byline and date.
    compose: (paragraphs, byline, iso) => [
      '<section style="margin:0 8px;">',
      ...paragraphs.map((p) => SKINS.wechat.paragraph(p)),
      ...(byline ? [greyLine(` ${byline}`)] : []),
      greyLine(chineseDate(iso)),
      '</section>',
    ],
  },
}

/**
 * Add pinyin after the characters a simplified-to-traditional converter touched, as the mirror does:
 * `會議` -> `會(huì)議`. Only a small table of common characters; enough to make the noise realistic.
 */
export function annotatePinyin(text: string): string {
  let out = ''
  for (const ch of text) out += PINYIN[ch] ? `${ch}(${PINYIN[ch]})` : ch
  return out
}

/** `2023-02-22T00:00:00+08:00` -> `2023年2月22日`. */
export function chineseDate(iso: string): string {
  const [y, m, d] = iso.slice(0, 10).split('-').map(Number)
  return `${y}年${m}月${d}日`
}

// --- Internal helpers ---

const PINYIN: Record<string, string> = {
  區: 'qū',
  業: 'yè',
  產: 'chǎn',
  會: 'huì',
  發: 'fā',
  領: 'lǐng',
  導: 'dǎo',
  術: 'shù',
  藥: 'yào',
  體: 'tǐ',
  機: 'jī',
  開: 'kāi',
  務: 'wù',
  廟: 'miào',
  節: 'jié',
  對: 'duì',
  製: 'zhì',
  醫: 'yī',
  療: 'liáo',
  餘: 'yú',
  種: 'zhǒng',
  獲: 'huò',
  認: 'rèn',
  證: 'zhèng',
}

function greyLine(text: string): string {
  return `<p style="text-align:right;line-height:1.75em;"><span style="font-size:14px;color:rgb(136,136,136);">${escapeHtml(text)}</span></p>`
}

function shortHash(text: string, length: number): string {
  return createHash('sha1').update(text).digest('hex').slice(0, length)
}
