/**
 * @file `@parkwatch/archive`: every capture kept, a version per real change, SQLite by default and
 * PostgreSQL at scale. Explicit re-exports so internal helpers stay internal.
 *
 * @example
 * import { createArchive, sqliteBackend } from '@parkwatch/archive'
 * const archive = createArchive({ backend: sqliteBackend({ dir: './data' }) })
 * const { isNewVersion } = await archive.ingest(capture, article)
 */
export type { Archive, ArchiveOptions, VerifyReport } from './archive.js'
export { createArchive, DEFAULT_MAX_BODY_BYTES, verifyArchive } from './archive.js'
export type { MemoryBackendOptions } from './backends/memory.js'
export { memoryBackend } from './backends/memory.js'
export type { PostgresBackendOptions } from './backends/postgres.js'
export { MissingDependencyError, POSTGRES_BACKEND_SCHEMA_VERSION, postgresBackend } from './backends/postgres.js'
export type { PostgresBlobStoreOptions } from './backends/postgres-blobs.js'
export { postgresBlobStore } from './backends/postgres-blobs.js'
export type { SqliteBackendOptions } from './backends/sqlite.js'
export { SCHEMA_VERSION, sqliteBackend } from './backends/sqlite.js'
export type { SqliteBackupOptions, SqliteBackupSummary } from './backends/sqlite-backup.js'
export { backupSqliteArchive } from './backends/sqlite-backup.js'
export { enableWal } from './backends/sqlite-wal.js'
export type { BlobCoding } from './blob-worker.js'
export type { FolderBlobStoreOptions } from './blobs.js'
export { compressBlob, DEFAULT_BROTLI_QUALITY, decompressBlob, folderBlobStore, memoryBlobStore } from './blobs.js'
export { versionChange } from './change.js'
export type {
  DiffableVersion,
  DiffOptions,
  DiffSummary,
  MetadataChange,
  MetadataField,
  ParagraphChange,
  ParagraphOp,
  VersionDiff,
  WordSegment,
} from './diff.js'
export { DEFAULT_SIMILARITY_THRESHOLD, diffVersions } from './diff.js'
export {
  ArchiveError,
  BlobCorruptError,
  BodyTooLargeError,
  InvalidCaptureError,
  InvalidHeaderError,
  InvalidUrlError,
  NotFoundError,
  StorageError,
} from './errors.js'
export {
  contentHash,
  makeSnippet,
  normalizeText,
  rawContentKey,
  searchTerms,
  searchTextOf,
  sha256Hex,
  toSimplified,
} from './hash.js'
export type { SqliteMigration } from './migrations/sqlite.js'
export { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from './migrations/sqlite.js'
export type {
  ArchiveBackend,
  ArchiveStats,
  BackendFlags,
  BlobStore,
  BodyRecord,
  Capture,
  CaptureInput,
  CaptureOutcome,
  CaptureRecord,
  CaptureTiming,
  ConditionalHeaders,
  FacetCount,
  FetchMethod,
  HeaderValue,
  IngestRecord,
  IngestResult,
  Page,
  PageFacets,
  PageQuery,
  PageRecord,
  SearchHit,
  SearchQuery,
  Timeline,
  VerifyIssue,
  Version,
  VersionChange,
  VersionRecord,
} from './types.js'
export type { NormalizeUrlOptions } from './url.js'
export { DEFAULT_INDEX_FILES, DEFAULT_TRACKING_PARAMS, MAX_URL_LENGTH, normalizeUrl } from './url.js'
export type {
  ExportWarcOptions,
  ImportedCapture,
  ImportWarcOptions,
  SkippedRecord,
  WarcExportItem,
  WarcExportSummary,
} from './warc.js'
export { exportJsonl, exportWarc, importWarc, WarcError } from './warc.js'
