import { describe, expect, it } from 'vitest'
import { createArchive } from '../../src/archive.js'
import { memoryBackend } from '../../src/backends/memory.js'
import { makeArticle, makeCapture } from '../fixtures.js'
import { describeBackend } from './contract.js'

describeBackend('memory', { create: () => memoryBackend() })

describe('memory backend', () => {
  it('hands out copies: editing a result does not change what is stored', async () => {
    const archive = createArchive({ backend: memoryBackend() })
    const r = await archive.ingest(makeCapture('https://a.example/x', 'x'), makeArticle({ title: 'kept' }))
    if (r.version) r.version.title = 'edited'
    r.page.captureCount = 99
    expect((await archive.getVersion('https://a.example/x', 1))?.title).toBe('kept')
    expect((await archive.getPage('https://a.example/x'))?.captureCount).toBe(1)
    expect(archive.backend.flags).toEqual({ fullText: true, multiProcess: false })
    await archive.close()
  })
})
