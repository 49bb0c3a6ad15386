import { describe, expect, it } from 'vitest'
import { cleanBlocks, findRepeatedAffix, isPinyin, stripPinyin } from '../src/noise.js'
import type { Block } from '../src/types.js'

const p = (text: string): Block => ({ kind: 'paragraph', text })
const h = (text: string): Block => ({ kind: 'heading', text, level: 2 })
const texts = (blocks: Block[]): string[] => blocks.map((b) => b.text)

// Shaped after the seed pages in /work/shared/seeds (003: aggregator watermark, 001: pinyin mirror,
// 002: blog engine with contact spam, 004: WeChat mirror with a trailing byline and date).
const WM = 'a0g新江南网| 江南第一生活服务网站'

describe('cleanBlocks: watermark glued to every block (seed 003)', () => {
  const blocks = [
    p(`记者 蔡姝雯 张宣 杨易臻 张琳${WM}`),
    p(`高新区是集聚高端科技资源的“强磁场”,已成为培育发展创新型产业集群的主阵地。${WM}`),
    p(`如何将一个产业“从一棵大树孕育成一片森林”?无锡高新区的多年探索,或可为未来产业提供思路。${WM}`),
    h(`龙头拉动,${WM}`),
    h(`全产业链“抱团”创新${WM}`),
    p(`“芯粒”指预先制造好、具有特定功能、可组合集成的晶片,是当前全球半导体行业的热门。${WM}`),
    p(`立足高新区主阵地,我省产业科技创新疾步前行。${WM}`),
    p('声明:'),
    p('本文仅代表作者个人观点,与新江南网无关。如有侵权请出示权属凭证联系管理员删除!'),
  ]
  const out = cleanBlocks(blocks)

  it('finds the watermark without a list of known sites', () => {
    expect(out.watermark).toBe(WM)
  })

  it('keeps every paragraph and heading, stripped', () => {
    expect(texts(out.blocks)).toEqual([
      '高新区是集聚高端科技资源的“强磁场”,已成为培育发展创新型产业集群的主阵地。',
      '如何将一个产业“从一棵大树孕育成一片森林”?无锡高新区的多年探索,或可为未来产业提供思路。',
      '龙头拉动,',
      '全产业链“抱团”创新',
      '“芯粒”指预先制造好、具有特定功能、可组合集成的晶片,是当前全球半导体行业的热门。',
      '立足高新区主阵地,我省产业科技创新疾步前行。',
    ])
    expect(out.blocks[2]?.kind).toBe('heading')
  })

  it('moves the leading byline into metadata and drops the disclaimer', () => {
    expect(out.byline).toEqual(['蔡姝雯', '张宣', '杨易臻', '张琳'])
  })
})

describe('cleanBlocks: pinyin annotations and trailing credits (seed 001)', () => {
  const blocks = [
    p('3月7日,十四屆全國人大二次會(huì)議江蘇代表團(tuán)舉行全體會(huì)議。'),
    p('蘇州工業(yè)園區(qū)是中國最早發(fā)布人工智能產(chǎn)業(yè)發(fā)展行動(dòng)計(jì)劃的地區(qū)。'),
    p(
      '賦能本地企業(yè)加速推進(jìn)人工智能創(chuàng)新應(yīng)用落地。 (趙藝丹) 編輯:湯心慈 責(zé)編:胡蘇 肖玲 審核:袁享林 |',
    ),
    p('|'),
  ]
  const out = cleanBlocks(blocks)

  it('strips the per-character pinyin', () => {
    expect(texts(out.blocks)).toEqual([
      '3月7日,十四屆全國人大二次會議江蘇代表團舉行全體會議。',
      '蘇州工業園區是中國最早發布人工智能產業發展行動計劃的地區。',
      '賦能本地企業加速推進人工智能創新應用落地。',
    ])
  })

  it('moves the glued credits to editors and the name parenthesis to the byline', () => {
    expect(out.editors).toEqual(['湯心慈', '胡蘇', '肖玲', '袁享林'])
    expect(out.byline).toEqual(['趙藝丹'])
  })
})

describe('cleanBlocks: tail spam and name parenthesis (seed 002)', () => {
  const blocks = [
    p('建设成为“创新驱动发展示范区和高质量发展先行区”,是国家高新区承担的重要使命。'),
    p('“今年是全面贯彻落实党的二十大精神的开局之年。”苏州工业园区党工委书记沈觅给出内敛务实的答案。(王梦菲 王艳艳)'),
    p('葛毅明微信号'),
    p('产业招商/厂房土地租售:400 0123 021'),
    p('或微信/手机:13391219793'),
    p('请说明您的需求、用途、税收、公司、联系人、手机号,以便快速帮您对接资源。'),
    p('长按/扫一扫加葛毅明的微信号'),
    p('版权声明:本文由网络蜘蛛自动收集于网络,如需转载请查明并注明出处 400-0123-021 或 13391219793'),
    p('分享给朋友:'),
  ]
  const out = cleanBlocks(blocks)

  it('drops contact spam, the copyright line and the share label', () => {
    expect(out.blocks).toHaveLength(2)
  })

  it('takes the trailing names as the byline, keeping the sentence', () => {
    expect(out.blocks[1]?.text).toBe(
      '“今年是全面贯彻落实党的二十大精神的开局之年。”苏州工业园区党工委书记沈觅给出内敛务实的答案。',
    )
    expect(out.byline).toEqual(['王梦菲', '王艳艳'])
  })
})

describe('cleanBlocks: edge lines', () => {
  it('reads a leading source/date line and a trailing byline and date (seeds 003, 004)', () => {
    const out = cleanBlocks([
      p('文章来源:新江苏客户端·中国江苏网'),
      p('发布时间:2023-12-31 15:58:36'),
      p('0 分享至'),
      p('人工智能是国家战略的重要组成部分,是未来国际竞争的焦点和经济发展的新引擎。'),
      p('着力打造集产业集聚、应用示范、政策创新、社会实验为一体的综合性创新发展高地。'),
      p('作者 董捷 吕依'),
      p('2023年2月22日'),
    ])
    expect(out.source).toBe('新江苏客户端·中国江苏网')
    expect(out.publishedAt).toBe('2023-12-31T15:58:36+08:00')
    expect(out.byline).toEqual(['董捷', '吕依'])
    expect(out.blocks).toHaveLength(2)
  })

  it('takes a 责任编辑 line and a (来源:…) parenthesis', () => {
    const out = cleanBlocks([
      p('园区今年新增生物医药企业超200家,产业产值保持稳步增长态势。(来源:新华日报)'),
      p('责任编辑:王五'),
    ])
    expect(out.editors).toEqual(['王五'])
    expect(out.source).toBe('新华日报')
    expect(texts(out.blocks)).toEqual(['园区今年新增生物医药企业超200家,产业产值保持稳步增长态势。'])
  })

  it('takes the names of a 本报讯(记者 …) opening without touching the paragraph', () => {
    const first = '本报讯(记者 张三 通讯员 李四)昨天,苏州工业园区发布了新一轮人工智能产业政策。'
    const out = cleanBlocks([p(first), p('政策涵盖算力补贴、场景开放与人才引进等方面。')])
    expect(out.byline).toEqual(['张三', '李四'])
    expect(out.blocks[0]?.text).toBe(first)
  })

  it('keeps prose that merely mentions a date, an author or a phone-free contact word', () => {
    const prose = [
      p('2023年2月22日,苏州工业园区举行人工智能产业发展大会,发布多项支持政策。'),
      p('作者认为,园区的创新生态是吸引企业落户的关键因素之一,这一点在调研中反复得到印证。'),
      p('会议最后,与会代表就产业合作进行了深入交流,并签署了多项合作协议。'),
    ]
    expect(texts(cleanBlocks(prose).blocks)).toEqual(texts(prose))
  })

  it('keeps a closing parenthesis that is not a list of names', () => {
    const last = p('园区将继续推进国家第三代半导体技术创新中心建设。(完)')
    expect(cleanBlocks([p('第一段正文内容,介绍园区产业发展情况。'), last]).blocks[1]?.text).toBe(last.text)
  })
})

describe('findRepeatedAffix', () => {
  it('does not treat a shared 6-character opening of real paragraphs as a watermark', () => {
    const t = [
      '苏州工业园区今年新增企业',
      '苏州工业园区的生物医药产业',
      '苏州工业园区人工智能产业',
      '苏州工业园区纳米产业',
    ]
    expect(findRepeatedAffix(t, 'prefix')).toBeNull()
  })

  it('finds a prefix watermark', () => {
    const t = ['【本站原创】园区第一段', '【本站原创】今年第二段内容', '【本站原创】据悉第三段文字', '最后一段']
    expect(findRepeatedAffix(t, 'prefix')).toBeNull() // 6 characters only: too short to be sure
    const long = t.map((x) => x.replace('【本站原创】', '【某某网 原创首发】'))
    expect(findRepeatedAffix(long, 'prefix')).toBe('【某某网 原创首发】')
  })

  it('needs at least three blocks', () => {
    expect(findRepeatedAffix([`一${WM}`, `二${WM}`], 'suffix')).toBeNull()
  })
})

describe('pinyin', () => {
  it('recognises syllables with tone marks or digits', () => {
    for (const s of ['huì', 'tuán', 'qū', 'lǜ', 'zhuang1', 'er', 'ng']) expect(isPinyin(s)).toBe(true)
    for (const s of ['CGT', 'the', 'NMPA', 'caiMR']) expect(isPinyin(s)).toBe(false)
  })

  it('leaves a single annotation alone', () => {
    expect(stripPinyin(['米(mi)是长度单位'])).toEqual(['米(mi)是长度单位'])
  })
})

describe('cleanBlocks: pages without paragraph markup (seed 001)', () => {
  const joined = [
    '3月7日,十四屆全國人大二次會議江蘇代表團舉行全體會議,會上特別強調要發揮好蘇州工業園區探路、引領、示范作用。蘇州工業園區大力布局人工智能、生物制藥、納米技術三大未來產業。',
    '生物醫藥高質量發展主陣地',
    '蘇州工業園區是江蘇省生物醫藥產業高質量發展的主陣地。多年來,園區一直把生物醫藥作為重點培育的戰略性新興產業,並不斷迭代金融服務助力企業成長發展。',
    '如今,園區已集聚各類生物醫藥及大健康企業超2000家,產業產值達1523億元,綜合競爭力位居全國第二。',
    '2021年提出Dialogue Foundation Model(DFM)模型,率先實現集理解、生成、表征三大能力為一體,在通用場景28項任務上做到行業領先。',
    '(趙藝丹)',
  ].join(' ')

  it('splits at sentence ends, finds the heading, keeps spaces between Latin words', () => {
    const out = cleanBlocks([p(joined)])
    expect(out.blocks.map((b) => b.kind)).toEqual(['paragraph', 'heading', 'paragraph', 'paragraph', 'paragraph'])
    expect(out.blocks[1]?.text).toBe('生物醫藥高質量發展主陣地')
    expect(out.blocks[4]?.text).toContain('Dialogue Foundation Model(DFM)')
    expect(out.byline).toEqual(['趙藝丹'])
  })

  it('leaves a long block alone when its spaces are not at sentence ends', () => {
    const prose = `${'园区 创新不止,产业发展持续向好,'.repeat(12)}这是一段正文。`
    expect(cleanBlocks([p(prose)]).blocks).toEqual([p(prose)])
  })
})

describe('cleanBlocks: the article header inside the body', () => {
  it('drops a heading repeating the title, then a date-led credits line', () => {
    const out = cleanBlocks(
      [
        h('蘇州工業(yè)園區(qū):大力布局三大未來產(chǎn)業(yè)'),
        p('2024-03-08 09:45:21 | 來源:中國江蘇網 | 閱讀:3721'),
        p('3月7日,十四屆全國人大二次會議江蘇代表團舉行全體會議,會上特別強調要發揮好蘇州工業園區探路作用。'),
      ],
      { title: '蘇州工業園區:大力布局三大未來產業' },
    )
    expect(out.publishedAt).toBe('2024-03-08T09:45:21+08:00')
    expect(out.source).toBe('中國江蘇網')
    expect(out.blocks.map((b) => b.kind)).toEqual(['paragraph'])
  })

  it('keeps a section heading that opens the body when no credits follow it', () => {
    const out = cleanBlocks([h('导言'), p('加快建设开放创新的世界一流高科技园区,是苏州工业园区锚定的新目标。')])
    expect(out.blocks.map((b) => b.text)).toEqual([
      '导言',
      '加快建设开放创新的世界一流高科技园区,是苏州工业园区锚定的新目标。',
    ])
  })

  it('takes English datelines as UTC', () => {
    const out = cleanBlocks([
      p('March 7, 2024'),
      p('The park opened a new centre for artificial intelligence research.'),
    ])
    expect(out.publishedAt).toBe('2024-03-07T00:00:00Z')
  })
})

describe('cleanBlocks: watermark next to sentence ends', () => {
  it('strips the watermark but keeps each paragraph’s final 。', () => {
    const blocks = Array.from({ length: 10 }, (_, i) => p(`第${i}段正文讲述园区的产业发展情况。${WM}`))
    const out = cleanBlocks(blocks)
    expect(out.watermark).toBe(WM)
    expect(out.blocks.every((b) => b.text.endsWith('情况。'))).toBe(true)
  })
})

describe('findRepeatedAffix: repeated content', () => {
  it('does not take identical paragraphs for a watermark', () => {
    const same = Array.from({ length: 6 }, () => '苏州工业园区人工智能产业创新集群加速崛起,一批企业突破前行。')
    expect(findRepeatedAffix(same, 'suffix')).toBeNull()
  })
})
