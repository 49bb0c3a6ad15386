/**
 * @file What the Postgres tests check about the search vocabulary: that `search_grams` holds every gram
 * (`searchGrams`) of every stored version, which is what lets search answer short terms from it.
 */
import pg from 'pg'
import { searchGrams } from '../../src/migrations/postgres.js'

/** The grams of `schema`'s versions that its `search_grams` lacks (none, in a healthy archive). */
export async function missingGrams(url: string | undefined, schema: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const S = `"${schema}"`
    const { rows } = await client.query<{ search_text: string }>(`SELECT search_text FROM ${S}.versions`)
    const grams = new Set(rows.flatMap((r) => searchGrams(r.search_text)))
    const missing = await client.query<{ gram: string }>(
      `SELECT g AS gram FROM unnest($1::text[]) AS g EXCEPT SELECT gram FROM ${S}.search_grams`,
      [[...grams]],
    )
    return missing.rows.map((r) => r.gram).sort()
  } finally {
    await client.end()
  }
}
