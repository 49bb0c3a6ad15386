import { load } from 'cheerio'
import type { AnyNode } from 'domhandler'
import { describe, expect, it } from 'vitest'
import { extractMetadata } from '../src/metadata.js'
import { chooseTitle } from '../src/title.js'

const meta = (html: string, url: string | null = null, body = '#body') => {
  const $ = load(html)
  return extractMetadata($.root()[0] as AnyNode, { url, bodyRoot: $(body)[0] ?? null })
}

// A NetEase-style page (seed 000): title with a channel suffix, ptime meta, an h1 that is the title.
const NETEASE = `<!doctype html><html><head>
<title>园区“一区两中心”向“高能级”迈进!_网易订阅</title>
<meta name="ptime" content="2024-05-14 10:54:44">
<meta name="author" content="网易订阅">
<link rel="canonical" href="/24/0514/10/ABC.html">
</head><body>
<div class="logo"><h1>网易</h1></div>
<div class="crumb">网易首页 &gt; 网易江苏 &gt; 正文</div>
<h1 class="post_title">园区“一区两中心”向“高能级”迈进!</h1>
<div class="post_info">2024-05-14 10:54:44 来源: 苏州工业园区发布</div>
<div id="body"><p>加快建设开放创新的世界一流高科技园区,是苏州工业园区锚定的新目标。</p></div>
<div class="side"><p>2024-05-11 15:41:25</p></div>
</body></html>`

describe('extractMetadata: structured sources', () => {
  it('reads JSON-LD NewsArticle inside @graph, with author objects', () => {
    const m = meta(`<html lang="en"><head><title>Chips are up | The Wire</title>
      <script type="application/ld+json">{"@context":"https://schema.org","@graph":[
        {"@type":"WebSite","name":"The Wire"},
        {"@type":"NewsArticle","headline":"Chips are up","datePublished":"2024-03-07T08:00:00+01:00",
         "dateModified":"2024-03-08T09:30:00Z","author":[{"@type":"Person","name":"Jane Doe"},{"name":"John Smith"}],
         "publisher":{"@type":"Organization","name":"The Wire"},"description":"Foundries report."}]}</script>
      <script type="application/ld+json">{ broken json, </script>
      </head><body><div id="body"><p>Text.</p></div></body></html>`)
    expect(m).toMatchObject({
      title: 'Chips are up',
      byline: ['Jane Doe', 'John Smith'],
      publishedAt: '2024-03-07T08:00:00+01:00',
      modifiedAt: '2024-03-08T09:30:00Z',
      siteName: 'The Wire',
      description: 'Foundries report.',
      declaredLang: 'en',
    })
  })

  it('reads OpenGraph, article:* and canonical, resolving against the URL', () => {
    const m = meta(
      `<html><head><title>x</title>
      <meta property="og:title" content="Suzhou park opens AI centre - Daily">
      <meta property="og:site_name" content="Daily">
      <meta property="og:url" content="https://daily.example/ignored">
      <meta property="article:published_time" content="2024-01-02T03:04:05Z">
      <meta property="og:locale" content="en_GB">
      <link rel="canonical" href="/news/ai-centre"></head><body></body></html>`,
      'https://daily.example/amp/ai-centre?x=1',
    )
    expect(m).toMatchObject({
      title: 'Suzhou park opens AI centre',
      siteName: 'Daily',
      publishedAt: '2024-01-02T03:04:05Z',
      canonicalUrl: 'https://daily.example/news/ai-centre',
      declaredLang: 'en-GB',
    })
  })

  it('reads the <meta name> tags Chinese portals use, as +08:00', () => {
    const m = meta(`<html><head><title>苏州工业园区发布人工智能新政</title>
      <meta name="PubDate" content="2024-05-14 10:54"><meta name="ContentSource" content="苏州日报">
      <meta name="SiteName" content="中国苏州"></head><body></body></html>`)
    expect(m).toMatchObject({ publishedAt: '2024-05-14T10:54:00+08:00', source: '苏州日报', siteName: '中国苏州' })
  })

  it('takes the date from a <time datetime> when nothing else has one', () => {
    const m = meta(
      '<html><head><title>t</title></head><body><div id="body"><time datetime="2024-09-28">x</time></div></body></html>',
    )
    expect(m.publishedAt).toBe('2024-09-28T00:00:00Z')
  })
})

describe('extractMetadata: a Chinese portal page (seed 000 shape)', () => {
  const m = meta(NETEASE, 'https://www.163.com/dy/article/ABC.html')

  it('uses the article h1, not the logo or the suffixed <title>', () => {
    expect(m.title).toBe('园区“一区两中心”向“高能级”迈进!')
  })

  it('names the site from the <title> suffix', () => {
    expect(m.siteName).toBe('网易订阅')
  })

  it('reads date and source, ignores the site-name author and the sidebar date', () => {
    expect(m.publishedAt).toBe('2024-05-14T10:54:44+08:00')
    expect(m.source).toBe('苏州工业园区发布')
    expect(m.byline).toEqual([])
    expect(m.canonicalUrl).toBe('https://www.163.com/24/0514/10/ABC.html')
  })
})

describe('extractMetadata: credits in the page text', () => {
  it('reads the lines between the title and the body (seed 003 shape)', () => {
    const m = meta(`<html><head><title>新江南网</title></head><body>
      <h1>江苏为培育新质生产力厚植创新沃土 立足高新区,做强创新型产业集群</h1>
      <div class="info"><span>文章来源:新江苏客户端·中国江苏网</span><span>字体:</span><br>发布时间:2023-12-31 15:58:36</div>
      <div id="body"><p>记者 蔡姝雯 张宣</p><p>高新区是集聚高端科技资源的“强磁场”。</p></div></body></html>`)
    expect(m).toMatchObject({
      title: '江苏为培育新质生产力厚植创新沃土 立足高新区,做强创新型产业集群',
      source: '新江苏客户端·中国江苏网',
      publishedAt: '2023-12-31T15:58:36+08:00',
    })
  })

  it('reads a meta line with a relative date (seed 002 shape)', () => {
    const m = meta(`<html><head><title>苏州工业园区:“四敢”园区进位全国高新第四 - 株洲产业信息</title></head><body>
      <h1>苏州工业园区:“四敢”园区进位全国高新第四</h1><div>admin1年前 (2024-09-28)株洲产业信息58</div>
      <div id="body"><p>建设成为“创新驱动发展示范区和高质量发展先行区”。</p></div></body></html>`)
    expect(m.publishedAt).toBe('2024-09-28T00:00:00+08:00')
    expect(m.siteName).toBe('株洲产业信息')
  })

  it('reads the byline, date and editors after the body (seed 004 shape)', () => {
    const m = meta(`<html><head><title>江苏苏州工业园区:创新不止 人工智能产业蓄势待发</title></head><body>
      <h2>江苏苏州工业园区:创新不止 人工智能产业蓄势待发</h2>
      <p>日期: 来源:苏州工业园区发布收集编辑:苏州工业园区发布</p>
      <div id="body"><p>人工智能是国家战略的重要组成部分。</p></div>
      <p>作者 董捷 吕依</p><p>2023年2月22日</p><p>责任编辑:王五 校对:赵六</p><h3>相关阅读</h3></body></html>`)
    expect(m).toMatchObject({
      source: '苏州工业园区发布',
      byline: ['董捷', '吕依'],
      editors: ['王五', '赵六'],
      publishedAt: '2023-02-22T00:00:00+08:00',
    })
  })

  it('reads an English byline', () => {
    const m = meta(`<html lang="en"><head><title>Park news</title></head><body><h1>Suzhou park grows</h1>
      <p>By Jane Doe and John Smith</p><div id="body"><p>Text.</p></div></body></html>`)
    expect(m.byline).toEqual(['Jane Doe', 'John Smith'])
  })

  it('rejects impossible dates from meta tags', () => {
    expect(
      meta('<html><head><meta name="pubdate" content="2023-02-30"></head><body></body></html>').publishedAt,
    ).toBeNull()
  })
})

describe('chooseTitle', () => {
  it.each([
    ['标题内容很长的一篇文章_网易财经', [], '标题内容很长的一篇文章', '网易财经'],
    ['标题内容很长的一篇文章_网易财经_网易', [], '标题内容很长的一篇文章', '网易'],
    ['苏州工业园区人工智能产业蓄势待发 - 新浪', [], '苏州工业园区人工智能产业蓄势待发', '新浪'],
    ['A title - with a dash in it - Site', ['A title - with a dash in it'], 'A title - with a dash in it', 'Site'],
    ['Short - Long second half of a title', [], 'Short - Long second half of a title', null],
  ])('%s', (docTitle, headings, title, siteName) => {
    expect(chooseTitle({ docTitle, headings, structured: [], siteName: null })).toEqual({ title, siteName })
  })

  it('strips the suffix from og:title too', () => {
    const r = chooseTitle({
      docTitle: '园区新闻_网易财经',
      headings: [],
      structured: ['园区新闻_网易财经'],
      siteName: null,
    })
    expect(r.title).toBe('园区新闻')
  })

  it('prefers a long heading when <title> is only the site name', () => {
    const r = chooseTitle({
      docTitle: '新江南网',
      headings: ['江苏为培育新质生产力厚植创新沃土'],
      structured: [],
      siteName: null,
    })
    expect(r.title).toBe('江苏为培育新质生产力厚植创新沃土')
  })
})

describe('extractMetadata: portal quirks', () => {
  it('does not take a site name, a widget label or a numeric id for an author', () => {
    for (const author of ['网易', 'CSDN.NET', '104363', '参考消息']) {
      const m = meta(
        `<html><head><title>园区新闻标题</title><meta name="author" content="${author}"></head><body></body></html>`,
      )
      expect(m.byline).toEqual([])
    }
    const handle = meta(
      '<html><head><title>一日一技</title><meta name="author" content="kingname"></head><body></body></html>',
    )
    expect(handle.byline).toEqual(['kingname'])
  })

  it('reads credits under a title that is not an <h1>', () => {
    const m = meta(`<html><head><title>午间公告:天奇股份中标广汽丰田项目_证券时报网</title></head><body>
      <div class="nav">首页 财经 2024-01-01</div>
      <h2 class="title">午间公告:天奇股份中标广汽丰田项目</h2>
      <div class="info">2019-09-26 12:11<span>来源:证券时报网</span><span>作者:李在山</span></div>
      <div id="body"><p>正文。</p></div></body></html>`)
    expect(m).toMatchObject({ publishedAt: '2019-09-26T12:11:00+08:00', source: '证券时报网', byline: ['李在山'] })
  })

  it('strips pinyin annotations from the title', () => {
    const m = meta(
      '<html><head><title>x</title></head><body><h1>蘇州工業(yè)園區(qū)大力布局未來產(chǎn)業(yè)</h1></body></html>',
    )
    expect(m.title).toBe('蘇州工業園區大力布局未來產業')
  })

  it('dates a Chinese page in +08:00 even when the template declares English', () => {
    const m = meta(
      '<html lang="en"><head><title>园区新闻</title><meta name="publishdate" content="2019-06-15"></head><body></body></html>',
    )
    expect(m.publishedAt).toBe('2019-06-15T00:00:00+08:00')
  })

  it('strips a 来源: label inside a source meta', () => {
    const m = meta(
      '<html><head><title>t</title><meta name="source" content="来源：人民网-文化频道 原创稿"></head><body></body></html>',
    )
    expect(m.source).toBe('人民网-文化频道')
  })
})

describe('extractMetadata: structured author names', () => {
  it('drops a leading "By" and a trailing role', () => {
    const m = meta(`<html><head><title>t</title><script type="application/ld+json">
      {"@type":"NewsArticle","headline":"t","author":{"@type":"Person","name":"By TOM KRISHER, AP Auto Writer"}}
      </script></head><body></body></html>`)
    expect(m.byline).toEqual(['TOM KRISHER'])
  })

  it.each([
    ['By MEG KINNARD and ERRIN HAINES, Associated Press', ['MEG KINNARD', 'ERRIN HAINES']],
    ['Troy L. Smith, Cleveland.com', ['Troy L. Smith']],
    ['Ilana Muhlstein, MS, RDN', ['Ilana Muhlstein']],
    ['admin', []],
  ])('%s', (name, byline) => {
    const m = meta(`<html><head><title>t</title><script type="application/ld+json">
      {"@type":"NewsArticle","headline":"t","author":{"name":"${name}"}}</script></head><body></body></html>`)
    expect(m.byline).toEqual(byline)
  })
})

describe('extractMetadata: title in a non-heading element', () => {
  it('uses a .title element that <title> starts with, and reads the credits under it', () => {
    const m = meta(`<html><head><title>【不忘初心 牢记使命】我院举办药学技能大赛 湖南省某医院</title></head><body>
      <ul><li class="title">侧栏里的另一篇文章标题</li></ul>
      <div class="art-title">【不忘初心 牢记使命】我院举办药学技能大赛</div>
      <div class="title_blow">来源：本站原创&nbsp;&nbsp;作者：医技药剂党支部<br>时间：2019年10月31日 23:00&nbsp;&nbsp;浏览：33</div>
      <div id="body"><p>正文。</p></div></body></html>`)
    expect(m).toMatchObject({
      title: '【不忘初心 牢记使命】我院举办药学技能大赛',
      siteName: '湖南省某医院',
      source: '本站原创',
      publishedAt: '2019-10-31T23:00:00+08:00',
    })
  })
})

describe('extractMetadata: lines at the edges of the body', () => {
  it('reads a dateline inside the body root, but not a date inside prose', () => {
    const m = meta(`<html><head><title>Amnesty. More than 100 protesters killed - PanARMENIAN.Net</title></head><body>
      <h1>Amnesty. More than 100 protesters killed</h1>
      <div id="body"><div class="article_date">November 20, 2019 - 11:28 AMT</div><p>Text of the article.</p></div></body></html>`)
    expect(m.publishedAt).toBe('2019-11-20T11:28:00Z')
    const prose = meta(`<html><head><title>园区新闻</title></head><body><h1>园区新闻标题</h1>
      <div id="body"><p>2023年2月22日,苏州工业园区举行人工智能产业大会,来源:各参会单位。</p></div></body></html>`)
    expect(prose.publishedAt).toBeNull()
    expect(prose.source).toBeNull()
  })
})
