/**
 * A log of every HTTP request served by any `node:http` server of this process, taken from Node's
 * `http.server.request.start` diagnostics channel. It lets a test count what a crawler (even one in a
 * child process) asked of servers it did not write itself, such as the demo portal's five hosts, without
 * touching their code.
 *
 * @example
 * ```ts
 * const log = recordRequests()
 * const portal = await startDemoPortal()
 * // ... run parkwatch against the portal
 * expect(log.to(`${portal.hosts[0].url}/robots.txt`)).toHaveLength(1)
 * log.stop()
 * ```
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A request a server of this process received. */
export interface LoggedRequest {
  /** `http://127.0.0.1:<port><path>` (path with query). */
  url: string
  method: string
  headers: IncomingMessage['headers']
  /** `performance.now()` at arrival. */
  at: number
  /** The status answered, once the response has finished (undefined while in flight or when cut). */
  status?: number
}

/** A running request log. */
export interface RequestLog {
  /** Every request so far, in arrival order. */
  requests: LoggedRequest[]
  /** Requests of one absolute URL (query included when `url` has one). */
  to(url: string): LoggedRequest[]
  /** Stop recording. */
  stop(): void
}

/** Start recording the requests of every HTTP server in this process. */
export function recordRequests(): RequestLog {
  const requests: LoggedRequest[] = []
  const onStart = (message: unknown): void => {
    const { request, response, server } = message as {
      request: IncomingMessage
      response: ServerResponse
      server: { address(): AddressInfo | string | null }
    }
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    const entry: LoggedRequest = {
      url: `http://127.0.0.1:${port}${request.url ?? '/'}`,
      method: request.method ?? 'GET',
      headers: request.headers,
      at: performance.now(),
    }
    response.once('finish', () => {
      entry.status = response.statusCode
    })
    requests.push(entry)
  }
  subscribe('http.server.request.start', onStart)
  return {
    requests,
    to: (url) => requests.filter((r) => (url.includes('?') ? r.url : r.url.split('?')[0]) === url),
    stop: () => unsubscribe('http.server.request.start', onStart),
  }
}
