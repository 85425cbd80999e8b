import pg from 'pg';
import type { Queryable, Row, Store } from './store.ts';
import { asUnavailable } from './unavailable.ts';

// int8 (count(*), bigint columns) as numbers: our values stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export interface PostgresOptions {
  max?: number;
  /** How long to wait for a connection before the request is answered "database unreachable". */
  connectionTimeoutMs?: number;
  /** Server-side bounds on one statement and on a transaction left idle; 0 = the server's own setting. */
  statementTimeoutMs?: number;
  idleInTransactionTimeoutMs?: number;
}

export const POSTGRES_DEFAULTS: Required<PostgresOptions> = {
  max: 10,
  connectionTimeoutMs: 5_000,
  statementTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: 30_000,
};

/**
 * A pool of connections that holds no session state between statements (no session locks, no
 * SET, no LISTEN, unnamed prepared statements), so it also works through PgBouncer in transaction
 * mode. The timeouts go to the server as startup parameters; DATABASE_URL query parameters of
 * the same names (`?statement_timeout=60000`) override them. A connection failure surfaces as
 * a DatabaseUnavailableError and never as an unhandled `error` event.
 */
export function openPostgres(connectionString: string, options: PostgresOptions = {}): Store {
  const settings = { ...POSTGRES_DEFAULTS, ...options };
  const pool = new pg.Pool({
    connectionString,
    max: settings.max,
    connectionTimeoutMillis: settings.connectionTimeoutMs,
    statement_timeout: settings.statementTimeoutMs || undefined,
    idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs || undefined,
    keepAlive: true,
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on next use.
  });
  pool.on('connect', (client) => {
    // A checked-out client that loses its connection between two statements emits `error` too;
    // its next statement then fails, and the client is discarded when released.
    client.on('error', () => undefined);
  });

  const query = async <T = Row>(sql: string, params?: unknown[]) => {
    try {
      return (await pool.query(sql, params as unknown[])).rows as T[];
    } catch (error) {
      throw asUnavailable(error);
    }
  };

  return {
    kind: 'postgres',
    query,
    exec: async (sql) => {
      await query(sql);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      try {
        return await inTransaction(pool, fn);
      } catch (error) {
        throw asUnavailable(error);
      }
    },
    close: () => pool.end(),
  };
}

async function inTransaction<T>(pool: pg.Pool, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await fn({
      query: async <R = Row>(sql: string, params?: unknown[]) => (await client.query(sql, params as unknown[])).rows as R[],
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
    // One that lost its connection is discarded by the pool, not reused.
    client.release();
  }
}
