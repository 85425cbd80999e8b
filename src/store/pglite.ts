import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import type { Queryable, Row, Store } from './store.ts';

/**
 * PostgreSQL sized for a bot's few thousand rows rather than PGlite's defaults (README.md,
 * "Running in production"): 128 MB of shared buffers is most of an idle PGlite's memory, and
 * tugboat's tables fit in 8 MB. Given to initdb too, so a new data folder's postgresql.conf says it.
 */
const SETTINGS = ['shared_buffers=8MB'];
const BYTEA = 17;

/**
 * bytea to and from PostgreSQL's hex text with Node's native hex codec: PGlite's own
 * (de)serializers go byte by byte in JavaScript, which costs milliseconds for one 25 KB
 * webhook body (measured with `npm run bench -- ingest`).
 */
const BYTEA_AS_HEX: Pick<PGliteOptions, 'serializers' | 'parsers'> = {
  serializers: {
    [BYTEA]: (value: unknown) => {
      if (!(value instanceof Uint8Array)) throw new Error('Invalid input for bytea type');
      return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
    },
  },
  parsers: { [BYTEA]: (text: string) => Buffer.from(text.slice(2), 'hex') },
};

const OPTIONS: PGliteOptions = {
  startParams: [...PGlite.defaultStartParams, ...SETTINGS.flatMap((setting) => ['-c', setting])],
  initDbStartParams: SETTINGS.flatMap((setting) => ['-c', setting]),
  ...BYTEA_AS_HEX,
};

/** Embedded PostgreSQL in this process, which owns the data folder. */
export async function openPglite(dataDir?: string): Promise<Store> {
  const db = await PGlite.create(dataDir, OPTIONS);

  return {
    kind: 'pglite',
    query: async <T = Row>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
    exec: async (sql) => {
      await db.exec(sql);
    },
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      db.transaction((tx) =>
        fn({
          query: async <R = Row>(sql: string, params?: unknown[]) => (await tx.query<R>(sql, params)).rows,
          exec: async (sql) => {
            await tx.exec(sql);
          },
        }),
      ),
    close: () => db.close(),
  };
}
