import { describe, expect, it } from 'vitest'
import { InvalidUrlError } from '../src/errors.js'
import { checkUrl, hostOf, MAX_URL_LENGTH, normalizeUrl } from '../src/url.js'

describe('normalizeUrl', () => {
  it.each([
    ['HTTPS://News.Example.COM:443/a/b.html', 'https://news.example.com/a/b.html'],
    ['http://news.example.com:80/a', 'http://news.example.com/a'],
    ['http://news.example.com:8080/a', 'http://news.example.com:8080/a'],
    ['https://news.example.com/a.html#comments', 'https://news.example.com/a.html'],
    ['https://news.example.com/a.html?utm_source=wx&utm_medium=share&id=7', 'https://news.example.com/a.html?id=7'],
    ['https://news.example.com/a.html?UTM_Campaign=x&spm=1.2.3&fbclid=abc', 'https://news.example.com/a.html'],
    ['https://news.example.com/a.html?b=2&a=1&b=1', 'https://news.example.com/a.html?a=1&b=2&b=1'],
    ['https://news.example.com/sip/index.html', 'https://news.example.com/sip/'],
    ['https://news.example.com/sip/INDEX.SHTML?x=1', 'https://news.example.com/sip/?x=1'],
    ['https://news.example.com/sip/index.html.bak', 'https://news.example.com/sip/index.html.bak'],
    ['https://news.example.com', 'https://news.example.com/'],
    ['https://user:pw@news.example.com/a', 'https://news.example.com/a'],
    ['https://新闻.例子.中国/文章', 'https://xn--efvy88h.xn--fsqu00a.xn--fiqs8s/%E6%96%87%E7%AB%A0'],
    ['  https://news.example.com/a?  ', 'https://news.example.com/a'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeUrl(input)).toBe(expected)
  })

  it('is idempotent', () => {
    const once = normalizeUrl('HTTP://A.example.com:80/x/index.php?utm_x=1&z=1&a=2#f')
    expect(normalizeUrl(once)).toBe(once)
  })

  it('takes its own tracking and index lists', () => {
    expect(normalizeUrl('https://a.example/x/?from=timeline&id=1', { trackingParams: ['from'] })).toBe(
      'https://a.example/x/?id=1',
    )
    expect(normalizeUrl('https://a.example/x/home.html', { indexFiles: ['home.html'] })).toBe('https://a.example/x/')
    expect(normalizeUrl('https://a.example/?utm_source=1', { trackingParams: [] })).toBe(
      'https://a.example/?utm_source=1',
    )
  })

  it.each([
    ['', 'empty'],
    ['not a url', 'not an absolute URL'],
    ['/relative/path', 'not an absolute URL'],
    ['ftp://files.example.com/a', 'scheme ftp:'],
    ['javascript:alert(1)', 'scheme javascript:'],
    [`https://a.example/${'x'.repeat(MAX_URL_LENGTH)}`, 'longer than'],
  ])('rejects bad URL #%# with InvalidUrlError', (input, reason) => {
    const run = (): string => normalizeUrl(input)
    expect(run).toThrow(InvalidUrlError)
    expect(run).toThrow(reason)
    try {
      run()
    } catch (error) {
      expect(error).toMatchObject({ code: 'ARCHIVE_INVALID_URL', url: input })
    }
  })
})

describe('hostOf and checkUrl', () => {
  it('gives the host with a non-default port', () => {
    expect(hostOf('https://news.example.com:8443/a')).toBe('news.example.com:8443')
    expect(hostOf(normalizeUrl('https://NEWS.example.com:443/a'))).toBe('news.example.com')
  })

  it('accepts absolute URLs as they are and rejects the rest', () => {
    expect(checkUrl('https://a.example/X?utm_source=1', 'finalUrl')).toBe('https://a.example/X?utm_source=1')
    expect(() => checkUrl('nope', 'finalUrl')).toThrow(InvalidUrlError)
  })
})
