/**
 * @file `startViewer`: serve the viewer over HTTP with `@hono/node-server`, on 127.0.0.1 by default.
 * Any other address needs an access token, so an archive is never exposed to a network by accident.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Archive } from '@parkwatch/archive'
import { createViewer } from './app.js'
import { InsecureBindError, ViewerError } from './errors.js'

/** Options of `startViewer`. */
export interface StartViewerOptions {
  /** The archive to serve (read only). */
  archive: Archive
  /** Address to listen on. Anything but a loopback address requires `token`. @default '127.0.0.1' */
  host?: string
  /** TCP port; 0 picks a free one. @default 8080 */
  port?: number
  /** Access token (see `ViewerOptions.token`). @default undefined */
  token?: string
  /** Path prefix (see `ViewerOptions.basePath`). @default '' */
  basePath?: string
}

/** A running viewer. */
export interface RunningViewer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string
  host: string
  port: number
  /** Stop listening and close open connections. */
  close(): Promise<void>
}

/**
 * Start the viewer. Rejects with `InsecureBindError` for a non-loopback `host` without `token`.
 *
 * @example
 * const viewer = await startViewer({ archive, port: 0 })
 * console.log(viewer.url)
 * await viewer.close()
 */
export async function startViewer(options: StartViewerOptions): Promise<RunningViewer> {
  const host = options.host ?? '127.0.0.1'
  const port = options.port ?? 8080
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(`Expected \`port\` to be an integer in [0, 65535], got \`${port}\``)
  }
  if (!isLoopback(host) && !options.token) throw new InsecureBindError(host)
  const app = createViewer({
    archive: options.archive,
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.basePath !== undefined ? { basePath: options.basePath } : {}),
  })
  return new Promise<RunningViewer>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      server.off('error', onError)
      const shown = info.family === 'IPv6' ? `[${info.address}]` : info.address
      resolve({
        url: `http://${shown}:${info.port}`,
        host: info.address,
        port: info.port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()))
            if ('closeAllConnections' in server) server.closeAllConnections()
          }),
      })
    })
    const onError = (err: Error): void => reject(new ViewerError(`cannot listen on ${host}:${port}`, { cause: err }))
    server.once('error', onError)
  })
}

/** Whether `host` is a loopback address or `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h)
}
