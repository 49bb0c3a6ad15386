import { describe, expect, it } from 'vitest'
import { charsetFromContentType, decodeHtml, prescanMeta, resolveCharset } from '../src/decode.js'
import { UnsupportedCharsetError } from '../src/errors.js'

// Fixture bytes were produced with python3, e.g. `'…'.encode('gbk').hex()`, so the test does not
// depend on the decoder it checks.
const HANS = '苏州工业园区生物医药产业发展迅速，人工智能和纳米技术也在园区集聚。'
const HANT = '蘇州工業園區生物醫藥產業發展迅速，人工智能和納米技術也在園區集聚。'
const GBK_HEX =
  'cbd5d6ddb9a4d2b5d4b0c7f8c9faceefd2bdd2a9b2fad2b5b7a2d5b9d1b8cbd9a3acc8cbb9a4d6c7c4dcbacdc4c9c3d7bcbccaf5d2b2d4dad4b0c7f8bcafbedba1a3'
const BIG5_HEX =
  'c4aca67ba475b77eb6e9b0cfa5cdaaabc2e5c3c4b2a3b77eb56fae69a8b3b374a141a448a475b4bcafe0a94dafc7a6cca7deb34ea45da662b6e9b0cfb6b0bb45a143'
const CP1252_HEX = '436166e9206372e86d65206272fb6ce96520e0206c61206672616ee761697365' // Café crème brûlée à la française
const SJIS_HEX = '93fa967b8cea82cc8365834c8358836782c582b78142938c8b9e82c589ef8b6382aa8a4a82a982ea82dc82b582bd8142'
const EUCKR_HEX = 'c7d1b1b9beee20c5d8bdbac6aec0d4b4cfb4d92e20bcadbfefbfa1bcad20c8b8c0c7b0a120bfadb7c8bdc0b4cfb4d92e'

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0))
const hex = (h: string): number[] => (h.match(/../g) ?? []).map((b) => Number.parseInt(b, 16))
const page = (head: string, bodyHex: string, tail = '</p>'): Uint8Array =>
  new Uint8Array([...ascii(head), ...hex(bodyHex), ...ascii(tail)])

describe('decodeHtml: declarations', () => {
  it('honours a UTF-8 BOM over every declaration and strips it', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('<meta charset=gbk><p>园区')])
    const r = decodeHtml(bytes, { contentType: 'text/html; charset=big5' })
    expect(r).toMatchObject({ charset: 'utf-8', source: 'bom', declared: null })
    expect(r.text).toBe('<meta charset=gbk><p>园区')
  })

  it('decodes UTF-16LE with a BOM', () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x2d, 0x56, 0x87, 0x65]) // U+562D U+6587, little-endian
    expect(decodeHtml(bytes)).toMatchObject({ charset: 'utf-16le', source: 'bom', text: '嘭文' })
  })

  it('uses the HTTP header charset and maps gbk to gb18030', () => {
    const r = decodeHtml(page('<p>', GBK_HEX), { contentType: 'text/html; charset="GBK"' })
    expect(r).toMatchObject({ charset: 'gb18030', source: 'header', declared: 'GBK' })
    expect(r.text).toBe(`<p>${HANS}</p>`)
  })

  it('reads <meta http-equiv> with a gb2312 label, skipping a commented-out meta', () => {
    const head =
      '<!-- <meta charset="big5"> --><html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><p>'
    const r = decodeHtml(page(head, GBK_HEX))
    expect(r).toMatchObject({ charset: 'gb18030', source: 'meta', declared: 'gb2312' })
    expect(r.text.endsWith(`${HANS}</p>`)).toBe(true)
  })

  it('reads <meta charset=big5>', () => {
    const r = decodeHtml(page('<meta charset=big5><p>', BIG5_HEX))
    expect(r).toMatchObject({ charset: 'big5', source: 'meta' })
    expect(r.text).toContain(HANT)
  })

  it('ignores a content charset without http-equiv, as the spec does', () => {
    expect(prescanMeta(new Uint8Array(ascii('<meta content="text/html; charset=big5">')))).toBeNull()
  })

  it('finds a meta placed after a long comment banner (beyond 1024 bytes)', () => {
    const head = `<!--${'x'.repeat(3000)}--><meta charset="gbk"><p>`
    expect(decodeHtml(page(head, GBK_HEX))).toMatchObject({ charset: 'gb18030', source: 'meta' })
  })

  it('decodes a page that declares gb2312 but is valid UTF-8 as UTF-8', () => {
    const bytes = new TextEncoder().encode(`<meta charset="gb2312"><p>${HANS}</p>`)
    const r = decodeHtml(bytes)
    expect(r).toMatchObject({ charset: 'utf-8', source: 'detected', declared: 'gb2312' })
    expect(r.text).toContain(HANS)
  })

  it('decodes a page that declares utf-8 but is GBK by detection', () => {
    const r = decodeHtml(page('<meta charset="utf-8"><p>', GBK_HEX))
    expect(r).toMatchObject({ charset: 'gb18030', source: 'detected', declared: 'utf-8' })
    expect(r.text).toContain(HANS)
  })

  it('falls through to detection on an unknown declared label', () => {
    const r = decodeHtml(page('<meta charset="klingon"><p>', GBK_HEX))
    expect(r).toMatchObject({ charset: 'gb18030', source: 'detected', declared: 'klingon' })
  })
})

describe('decodeHtml: forced charset', () => {
  it('uses a forced charset over the header', () => {
    const r = decodeHtml(page('<p>', BIG5_HEX), { charset: 'big5', contentType: 'text/html; charset=gbk' })
    expect(r).toMatchObject({ charset: 'big5', declared: 'big5' })
    expect(r.text).toContain(HANT)
  })

  it('throws UnsupportedCharsetError for an unknown forced label', () => {
    const run = () => decodeHtml(new Uint8Array([0x41]), { charset: 'no-such-charset' })
    expect(run).toThrow(UnsupportedCharsetError)
    try {
      run()
    } catch (error) {
      expect((error as UnsupportedCharsetError).code).toBe('EXTRACTOR_UNSUPPORTED_CHARSET')
      expect((error as UnsupportedCharsetError).charset).toBe('no-such-charset')
    }
  })
})

describe('decodeHtml: detection without any declaration', () => {
  it.each([
    ['GBK', GBK_HEX, 'gb18030', HANS],
    ['Big5', BIG5_HEX, 'big5', HANT],
    ['windows-1252', CP1252_HEX, 'windows-1252', 'Café crème brûlée à la française'],
    ['Shift_JIS', SJIS_HEX, 'shift_jis', '日本語のテキストです。東京で会議が開かれました。'],
    ['EUC-KR', EUCKR_HEX, 'euc-kr', '한국어 텍스트입니다. 서울에서 회의가 열렸습니다.'],
  ])('detects %s', (_name, bodyHex, charset, text) => {
    const r = decodeHtml(page('<html><body><p>', bodyHex))
    expect(r).toMatchObject({ charset, source: 'detected', declared: null })
    expect(r.text).toBe(`<html><body><p>${text}</p>`)
  })

  it('keeps GBK when the page carries an icon-font character and a literal U+FFFD', () => {
    // '\ue600' + HANS + '\ufffd', encoded with python's gb18030 codec.
    const r = decodeHtml(page('<p>', `a45a${GBK_HEX}8431a437`))
    expect(r.charset).toBe('gb18030')
    expect(r.text).toBe(`<p>\ue600${HANS}\ufffd</p>`)
  })

  it('detects valid UTF-8 and defaults pure ASCII to UTF-8', () => {
    expect(decodeHtml(new TextEncoder().encode(`<p>${HANS}`))).toMatchObject({ charset: 'utf-8', source: 'detected' })
    expect(decodeHtml(new Uint8Array(ascii('<p>hello</p>')))).toMatchObject({ charset: 'utf-8', source: 'default' })
  })

  it('accepts an ArrayBuffer', () => {
    const u8 = page('<p>', GBK_HEX)
    const r = decodeHtml(new Uint8Array(u8).buffer as ArrayBuffer)
    expect(r.text).toContain(HANS)
  })
})

describe('label helpers', () => {
  it('resolves labels to WHATWG names', () => {
    expect(resolveCharset('GB2312')).toBe('gb18030')
    expect(resolveCharset('x-gbk')).toBe('gb18030')
    expect(resolveCharset(' UTF8 ')).toBe('utf-8')
    expect(resolveCharset('big5-hkscs')).toBe('big5')
    expect(resolveCharset('nonsense')).toBeNull()
    expect(resolveCharset('')).toBeNull()
  })

  it('parses the charset parameter of a Content-Type', () => {
    expect(charsetFromContentType('text/html; charset=GBK')).toBe('GBK')
    expect(charsetFromContentType("text/html;charset='big5'")).toBe('big5')
    expect(charsetFromContentType('text/html')).toBeNull()
  })
})
