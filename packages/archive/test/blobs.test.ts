import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { type BatchBlobStore, compressBlob, decompressBlob, folderBlobStore } from '../src/blobs.js'
import { BlobCorruptError } from '../src/errors.js'
import { sha256Hex } from '../src/hash.js'
import { scratchDirs } from './helpers/scratch.js'

const tmp = scratchDirs('parkwatch-blobs-')

const html = new TextEncoder().encode(`<html>${'<p>苏州工业园区生物医药产业</p>'.repeat(200)}</html>`)
const hash = sha256Hex(html)

describe('folderBlobStore', () => {
  it('stores compressed under a fan-out path, once, and reads back the same bytes', async () => {
    const dir = tmp()
    const store = folderBlobStore({ dir })
    const first = await store.put(hash, html)
    expect(first.created).toBe(true)
    expect(first.storedSize).toBeLessThan(html.byteLength / 10)
    expect(existsSync(join(dir, hash.slice(0, 2), hash.slice(2, 4), `${hash}.br`))).toBe(true)
    expect(await store.put(hash, html)).toEqual({ created: false, storedSize: first.storedSize })
    expect(await store.get(hash)).toEqual(html)
    expect(await store.has(hash)).toBe(true)
    const listed = []
    for await (const b of store.list()) listed.push(b)
    expect(listed).toEqual([{ hash, storedSize: first.storedSize }])
    // Nothing is left in the temp folder after a successful write.
    expect(readdirSync(join(dir, '.tmp'))).toEqual([])
  })

  it('knows, without a file system call, the hashes it stored or saw stored, until cleared', async () => {
    const dir = tmp()
    const store = folderBlobStore({ dir })
    expect(store.knows?.(hash)).toBe(false)
    await store.put(hash, html)
    expect(store.knows?.(hash)).toBe(true)
    // A second store over the same folder learns the hash when a put finds the file.
    const other = folderBlobStore({ dir })
    expect(other.knows?.(hash)).toBe(false)
    expect((await other.put(hash, html)).created).toBe(false)
    expect(other.knows?.(hash)).toBe(true)
    await store.clear()
    expect(store.knows?.(hash)).toBe(false)
  })

  it("stores a response's gzip bytes as a .gz file, reads either coding back, and lists a body once", async () => {
    const dir = tmp()
    const store = folderBlobStore({ dir })
    const page = new TextEncoder().encode(`<p>${'苏州工业园区集成电路产业。'.repeat(30)}</p>`)
    const other = new TextEncoder().encode(`<p>${'园区纳米城。'.repeat(30)}</p>`)
    const [h1, h2] = [sha256Hex(page), sha256Hex(other)]
    const at = (h: string, ext: string) => join(dir, h.slice(0, 2), h.slice(2, 4), `${h}${ext}`)
    expect(await store.put(h1, page, gzipSync(page))).toEqual({ created: true, storedSize: gzipSync(page).byteLength })
    expect(readFileSync(at(h1, '.gz'))).toEqual(gzipSync(page))
    expect(existsSync(at(h1, '.br'))).toBe(false)
    await (store as BatchBlobStore).putMany([{ hash: h2, raw: other, gzip: gzipSync(other) }])
    expect(readFileSync(at(h2, '.gz'))).toEqual(gzipSync(other))
    // Another process sees the .gz file as stored, whatever coding it would write.
    const fresh = folderBlobStore({ dir })
    expect(await fresh.put(h1, page)).toMatchObject({ created: false })
    expect(existsSync(at(h1, '.br'))).toBe(false)
    expect(await fresh.get(h1)).toEqual(page)
    expect(await fresh.get(h2)).toEqual(other)
    expect(await fresh.has(h2)).toBe(true)
    // Two writers racing with different codings leave both files: one body, listed once.
    writeFileSync(at(h2, '.br'), compressBlob(other))
    const listed = []
    for await (const b of fresh.list()) listed.push(b.hash)
    expect(listed.sort()).toEqual([h1, h2].sort())
    await store.close()
  })

  it('answers null / false for an unknown hash and rejects malformed ones', async () => {
    const store = folderBlobStore({ dir: tmp() })
    const other = sha256Hex('other')
    expect(await store.get(other)).toBeNull()
    expect(await store.has(other)).toBe(false)
    await expect(store.get('../../etc/passwd')).rejects.toThrow(TypeError)
    await expect(store.put('ABC', html)).rejects.toThrow('SHA-256')
  })

  it('ignores temp files and foreign files when listing', async () => {
    const dir = tmp()
    const store = folderBlobStore({ dir })
    await store.put(hash, html)
    writeFileSync(join(dir, '.tmp', `${hash}.123.0.dead`), 'partial')
    writeFileSync(join(dir, 'README'), 'not a blob')
    const listed = []
    for await (const b of store.list()) listed.push(b.hash)
    expect(listed).toEqual([hash])
  })

  it('reports a blob it cannot decompress as corrupt', async () => {
    const dir = tmp()
    const store = folderBlobStore({ dir })
    await store.put(hash, html)
    writeFileSync(join(dir, hash.slice(0, 2), hash.slice(2, 4), `${hash}.br`), 'garbage, not brotli')
    await expect(store.get(hash)).rejects.toBeInstanceOf(BlobCorruptError)
  })

  it('clears everything', async () => {
    const store = folderBlobStore({ dir: tmp() })
    await store.put(hash, html)
    await store.clear()
    expect(await store.has(hash)).toBe(false)
    await store.put(hash, html)
    expect(await store.get(hash)).toEqual(html)
  })

  it('checks its options', () => {
    expect(() => folderBlobStore({ dir: '' })).toThrow('Expected `dir`')
    expect(() => folderBlobStore({ dir: tmp(), quality: 12 })).toThrow('Expected `quality`')
  })

  it('round-trips through compressBlob / decompressBlob at any quality', () => {
    for (const q of [0, 4, 11]) expect(decompressBlob(hash, compressBlob(html, q))).toEqual(html)
    expect(decompressBlob(hash, compressBlob(new Uint8Array(0)))).toEqual(new Uint8Array(0))
  })
})
