import { describe, expect, it } from 'vitest'
import { findDate, isDateLine, parseDate } from '../src/dates.js'

describe('parseDate', () => {
  it.each([
    ['2023-12-31 15:58:36', '2023-12-31T15:58:36+08:00'],
    ['发布时间:2023-12-31 15:58:36', '2023-12-31T15:58:36+08:00'],
    ['2023年2月22日', '2023-02-22T00:00:00+08:00'],
    ['2023年02月22日 09:05', '2023-02-22T09:05:00+08:00'],
    ['2024年5月14日10时54分', '2024-05-14T10:54:00+08:00'],
    ['2024/09/28', '2024-09-28T00:00:00+08:00'],
    ['2024.9.8', '2024-09-08T00:00:00+08:00'],
    ['admin1年前 (2024-09-28)株洲产业信息58', '2024-09-28T00:00:00+08:00'],
    ['2024-05-14-10:54:44', '2024-05-14T10:54:44+08:00'],
    ['2024-05-14T10:54:44Z', '2024-05-14T10:54:44Z'],
    ['2024-05-14T10:54:44.123+0200', '2024-05-14T10:54:44+02:00'],
    ['Tue, 14 May 2024 10:54:44 GMT', '2024-05-14T10:54:44Z'],
    ['March 7, 2024', '2024-03-07T00:00:00+08:00'],
    ['7th March 2024 08:30', '2024-03-07T08:30:00+08:00'],
  ])('%s -> %s', (input, expected) => {
    expect(parseDate(input)).toBe(expected)
  })

  it('uses the default offset for zoneless dates', () => {
    expect(parseDate('2024-05-14 10:00', { defaultOffset: 'Z' })).toBe('2024-05-14T10:00:00Z')
  })

  it('reads Unix timestamps in seconds and milliseconds as UTC', () => {
    expect(parseDate('1715655284')).toBe('2024-05-14T02:54:44Z')
    expect(parseDate('1715655284000')).toBe('2024-05-14T02:54:44Z')
  })

  it.each([
    ['2023-02-30'],
    ['2023-13-01'],
    ['2023-12-31 25:00'],
    ['1970-01-01 08:00:00'],
    ['2999-01-01'],
    ['三天前'],
    [''],
  ])('rejects %s', (input) => {
    expect(parseDate(input)).toBeNull()
  })

  it('accepts 29 February only in a leap year', () => {
    expect(parseDate('2024-02-29')).toBe('2024-02-29T00:00:00+08:00')
    expect(parseDate('2023-02-29')).toBeNull()
  })

  it('respects notAfter', () => {
    expect(parseDate('2024-05-14', { notAfter: new Date('2024-01-01T00:00:00Z') })).toBeNull()
  })
})

describe('findDate', () => {
  it('skips an impossible match to find a real date later', () => {
    expect(findDate('《行动文案(2023-2025)》 发布于 2024-03-07')).toBe('2024-03-07T00:00:00+08:00')
  })

  it('returns the earliest date in the text', () => {
    expect(findDate('March 7, 2024; updated 2024-03-09')).toBe('2024-03-07T00:00:00+08:00')
  })
})

describe('isDateLine', () => {
  it.each([
    ['2023年2月22日'],
    ['发布时间:2023-12-31 15:58:36'],
    ['1年前 (2024-09-28)'],
    ['Published on March 7, 2024'],
  ])('accepts %s', (line) => {
    expect(isDateLine(line)).toBe(true)
  })

  it.each([
    ['2023年2月22日,苏州工业园区举行了人工智能产业大会。'],
    ['没有日期的一行'],
    ['admin1年前 (2024-09-28)株洲产业信息58'],
  ])('rejects prose or mixed line %s', (line) => {
    expect(isDateLine(line)).toBe(false)
  })
})

describe('parseDate: English clock formats', () => {
  it.each([
    ['November 20, 2019 - 11:28 AM', '2019-11-20T11:28:00Z'],
    ['Nov 20, 2019 at 3:05 pm', '2019-11-20T15:05:00Z'],
    ['20 November 2019, 12:10 a.m.', '2019-11-20T00:10:00Z'],
  ])('%s -> %s', (input, expected) => {
    expect(parseDate(input, { defaultOffset: 'Z' })).toBe(expected)
  })

  it('treats a line with an unresolvable zone abbreviation or a leading clock as a dateline', () => {
    expect(isDateLine('November 20, 2019 - 11:28 AMT')).toBe(true)
    expect(isDateLine('Published 11:11 PM EST Nov 19, 2019')).toBe(true)
  })
})
