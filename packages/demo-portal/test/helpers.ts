/**
 * Shared helpers of the demo-portal tests: raw HTTP fetches that keep the bytes, and lookups into the
 * portal's ground truth.
 */
import type { DemoPortal, ExpectedArticle } from '../src/index.js'

/** A response with its body as bytes. */
export interface Fetched {
  status: number
  headers: Headers
  bytes: Uint8Array
}

/** GET (or another method) without following redirects; the body is read as bytes. */
export async function get(url: string, init: RequestInit = {}): Promise<Fetched> {
  const res = await fetch(url, { redirect: 'manual', ...init })
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) }
}

/** GET through the 429-first host: the first answer of each URL is a 429, so ask until it is not. */
export async function getPastRateLimit(url: string, init: RequestInit = {}): Promise<Fetched> {
  let res = await get(url, init)
  for (let i = 0; i < 3 && res.status === 429; i++) res = await get(url, init)
  return res
}

/** UTF-8 text of a response. */
export function utf8(res: Fetched): string {
  return new TextDecoder().decode(res.bytes)
}

/** The expected article with this id. */
export function article(portal: DemoPortal, id: string): ExpectedArticle {
  const found = portal.expected.articles.find((a) => a.id === id)
  if (!found) throw new Error(`no article ${id}`)
  return found
}

/** Fetch an article honouring the 429 host. */
export function getArticle(a: ExpectedArticle, init: RequestInit = {}): Promise<Fetched> {
  return a.portal === 'xjnnet' ? getPastRateLimit(a.url, init) : get(a.url, init)
}
