import { describe, expect, it } from 'vitest'
import { chineseScript, detectLang, HANS_HANT_PAIRS } from '../src/lang.js'

describe('detectLang', () => {
  it.each([
    ['苏州工业园区是江苏省生物医药产业高质量发展的主阵地,这里集聚了众多创新企业。', 'zh-Hans'],
    ['蘇州工業園區是江蘇省生物醫藥產業高質量發展的主陣地,這裡集聚了眾多創新企業。', 'zh-Hant'],
    ['東京で人工知能の会議が開かれました。多くの企業が参加しています。', 'ja'],
    ['서울에서 인공지능 회의가 열렸습니다. 많은 기업이 참가했습니다.', 'ko'],
    ['В Сучжоу открылся новый центр искусственного интеллекта для местных компаний.', 'ru'],
    ['У Сучжоу відкрився новий центр штучного інтелекту для місцевих компаній.', 'uk'],
    ['The park has become one of the largest clusters of biotech firms in the country, and it is growing.', 'en'],
    ['Der Park ist einer der größten Standorte für Biotechnologie und wird weiter ausgebaut, sagt die Stadt.', 'de'],
    [
      "Le parc est l'un des plus grands pôles de biotechnologie du pays et il continue de croître dans la région.",
      'fr',
    ],
    ['El parque es uno de los mayores centros de biotecnología del país y sigue creciendo con nuevas empresas.', 'es'],
    ['O parque é um dos maiores polos de biotecnologia do país e não para de crescer com novas empresas.', 'pt'],
    [
      'Il parco è uno dei più grandi poli di biotecnologia del paese e non smette di crescere con le nuove aziende.',
      'it',
    ],
  ])('%s -> %s', (text, lang) => {
    expect(detectLang(text)).toBe(lang)
  })

  it('tells the scripts apart on the seed-001 style text despite pinyin noise', () => {
    expect(detectLang('十四屆全國人大二次會(huì)議江蘇代表團(tuán)舉行全體會(huì)議')).toBe('zh-Hant')
  })

  it('detects Chinese even when the page declares English', () => {
    expect(detectLang('园区发布人工智能产业新政策,支持企业发展。', 'en')).toBe('zh-Hans')
  })

  it('falls back to the declared language, normalised', () => {
    expect(detectLang('12345 67890', 'zh-CN')).toBe('zh-Hans')
    expect(detectLang('', 'zh_TW')).toBe('zh-Hant')
    expect(detectLang('GPT-4o SDK API', 'en-us')).toBe('en-US')
    expect(detectLang('', null)).toBeNull()
  })
})

describe('chineseScript', () => {
  it('uses the declared variant to break a tie', () => {
    expect(chineseScript('中文', 'zh-TW')).toBe('zh-Hant')
    expect(chineseScript('中文', null)).toBe('zh-Hans')
  })

  it('counts by character, and every pair is two BMP characters (it looks them up by UTF-16 code unit)', () => {
    for (const pair of HANS_HANT_PAIRS) expect(pair).toMatch(/^[^\ud800-\udfff]{2}$/)
    // Characters outside the BMP (a surrogate pair each) count for neither script.
    expect(chineseScript('這個𠮷𠮷𠮷', null)).toBe('zh-Hant')
    expect(chineseScript('这个這𠀀', null)).toBe('zh-Hans')
  })
})
