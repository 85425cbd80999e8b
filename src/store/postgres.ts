import pg from 'pg';
import type { Queryable, Row, Store } from './store.ts';

// int8 (count(*), bigint columns) as numbers: our values stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export function openPostgres(connectionString: string, options: { max?: number } = {}): Store {
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10 });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on next use.
  });

  const query = async <T = Row>(sql: string, params?: unknown[]) =>
    (await pool.query(sql, params as unknown[])).rows as T[];

  return {
    kind: 'postgres',
    query,
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn({
          query: async <R = Row>(sql: string, params?: unknown[]) =>
            (await client.query(sql, params as unknown[])).rows as R[],
          exec: async (sql) => {
            await client.query(sql);
          },
        });
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async runExclusive(name, fn) {
      const client = await pool.connect();
      try {
        const [{ locked }] = (
          await client.query('select pg_try_advisory_lock(hashtext($1)) as locked', [name])
        ).rows;
        if (!locked) return false;
        try {
          await fn();
        } finally {
          await client.query('select pg_advisory_unlock(hashtext($1))', [name]);
        }
        return true;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
