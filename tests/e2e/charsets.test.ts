/**
 * Charsets, end to end: `parkwatch run` fetches pages in four encodings (declared in the header, only in
 * `<meta>`, or declared wrongly) and the archive holds correct Chinese text for each.
 */
import { createArchive, sqliteBackend } from '@parkwatch/archive'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FixtureServer, send, sendEncoded, startFixtureServer } from '../helpers/fixture-server.js'
import {
  articleHtml,
  ensureBuilt,
  parkwatch,
  rssFeed,
  sourcesYaml,
  type TempDir,
  tempDir,
} from '../helpers/parkwatch.js'

const PAGES = {
  // GBK with the charset only in <meta> (the seed portal's habit): the header says text/html, nothing more.
  gbk: {
    title: '苏州工业园区生物医药产业再添新项目',
    paragraphs: [
      '苏州工业园区生物医药产业园今天迎来一批新项目签约，涉及细胞治疗、高端医疗器械和创新药研发等领域。',
      '园区相关负责人介绍，今年以来园区生物医药企业营收保持两位数增长，产业集群效应持续显现。',
      '下一步，园区将继续完善公共技术服务平台，为企业提供从研发到产业化的全链条服务。',
    ],
  },
  // GB18030 declared in the header, with a character GBK cannot encode (𠮷, outside the BMP).
  gb18030: {
    title: '园区纳米技术企业𠮷祥科技完成新一轮融资',
    paragraphs: [
      '苏州工业园区纳米技术企业𠮷祥科技近日完成新一轮融资，资金将用于纳米材料生产线扩建和研发投入。',
      '公司负责人表示，园区纳米城为企业提供了完善的中试平台和专业化服务，帮助产品更快走向市场。',
      '目前园区已集聚纳米技术应用企业一千余家，形成了从材料、器件到应用的完整产业链条。',
    ],
  },
  // Big5 declared by an old-style http-equiv <meta>, Traditional Chinese text.
  big5: {
    title: '蘇州工業園區半導體產業持續壯大',
    paragraphs: [
      '蘇州工業園區集成電路設計企業今年營業收入穩定增長，車規級晶片和射頻晶片出貨量明顯提升。',
      '園區積體電路公共服務平台新增設計工具共享服務，已為數十家中小設計企業降低研發成本。',
      '業界人士表示，園區正推動設計、製造、封測企業協同發展，讓更多晶片在本地完成量產。',
    ],
  },
  // UTF-8 bytes that claim gb2312 in both the header and the page: a common portal bug.
  liar: {
    title: '园区人工智能产业园新增算力中心',
    paragraphs: [
      '苏州人工智能产业园新建的智能算力中心日前投入运营，面向园区人工智能企业和科研机构开放预约。',
      '运营方介绍，算力中心支持大模型训练和推理服务，中小企业可申请算力券，按实际使用量抵扣费用。',
      '园区企业负责人表示，本地算力让模型训练不必再排队等待外地资源，产品迭代速度明显加快。',
    ],
  },
} as const

describe('charsets through `parkwatch run`', () => {
  let server: FixtureServer
  let work: TempDir

  beforeAll(async () => {
    ensureBuilt()
    work = tempDir('pw-e2e-charsets-')
    server = await startFixtureServer({
      '/feed.xml': send(rssFeed(['/gbk.html', '/gb18030.html', '/big5.html', '/liar.html']), 'application/rss+xml'),
      '/gbk.html': sendEncoded('gbk', articleHtml(PAGES.gbk.title, PAGES.gbk.paragraphs, '<meta charset="gbk">'), {
        declare: 'meta',
      }),
      '/gb18030.html': sendEncoded('gb18030', articleHtml(PAGES.gb18030.title, PAGES.gb18030.paragraphs)),
      '/big5.html': sendEncoded(
        'big5',
        articleHtml(
          PAGES.big5.title,
          PAGES.big5.paragraphs,
          '<meta http-equiv="Content-Type" content="text/html; charset=big5">',
        ),
        { declare: 'meta' },
      ),
      '/liar.html': send(
        articleHtml(PAGES.liar.title, PAGES.liar.paragraphs, '<meta charset="gb2312">'),
        'text/html; charset=gb2312',
      ),
    })
  }, 120_000)
  afterAll(async () => {
    await server?.close()
    work?.cleanup()
  })

  it('archives correct Chinese text whatever the page declares', async () => {
    const sources = work.write('sources.yaml', sourcesYaml([{ id: 'charsets', entries: [feed(server)] }]))
    const data = work.path('data')
    const run = await parkwatch('run', '--sources', sources, '--data', data)
    expect(run.code, run.stderr).toBe(0)

    const archive = createArchive({ backend: sqliteBackend({ dir: data }) })
    try {
      for (const [slug, page] of Object.entries(PAGES)) {
        const url = `${server.url}/${slug}.html`
        const version = await archive.getVersion(url, 1)
        expect(version, `${slug}: no version`).not.toBeNull()
        expect(version?.title, slug).toBe(page.title)
        const text = version?.article.paragraphs.map((p) => p.text).join('\n') ?? ''
        for (const paragraph of page.paragraphs) expect(text, slug).toContain(paragraph)
        // No replacement characters, no mojibake.
        expect(text, slug).not.toMatch(/\uFFFD/)
      }
      expect((await archive.verify()).ok).toBe(true)
    } finally {
      await archive.close()
    }
  }, 60_000)
})

function feed(server: FixtureServer): { type: 'feed'; url: string } {
  return { type: 'feed', url: `${server.url}/feed.xml` }
}
