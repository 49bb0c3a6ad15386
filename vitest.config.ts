import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (pkg: string): string => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

export default defineConfig({
  resolve: {
    alias: {
      '@parkwatch/extractor': src('extractor'),
      '@parkwatch/archive': src('archive'),
      '@parkwatch/scraper': src('scraper'),
      '@parkwatch/demo-portal': src('demo-portal'),
      '@parkwatch/cli': src('cli'),
      '@parkwatch/viewer': fileURLToPath(new URL('./apps/viewer/src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'tests/**/*.test.ts'],
    reporters: ['default', './scripts/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
