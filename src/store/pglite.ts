import { PGlite } from '@electric-sql/pglite';
import type { Queryable, Row, Store } from './store.ts';

/** Embedded PostgreSQL in this process, which owns the data folder. */
export async function openPglite(dataDir?: string): Promise<Store> {
  const db = await PGlite.create(dataDir);

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
