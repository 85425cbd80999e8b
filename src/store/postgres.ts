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
  /**
   * Client-side: a statement with no answer by then fails and its connection is dropped. This is
   * what ends a statement sent to a server that vanished without closing the connection, as some
   * failovers do, which TCP alone would leave hanging for many minutes.
   */
  queryTimeoutMs?: number;
}

export const POSTGRES_DEFAULTS: Required<PostgresOptions> = {
  max: 10,
  connectionTimeoutMs: 5_000,
  statementTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: 30_000,
  queryTimeoutMs: 35_000,
};

/** Scripts (migrations) may run long; only a vanished server should stop them. */
const SCRIPT_TIMEOUT_MS = 60 * 60_000;
// pg reads `query_timeout` per query too; its types know it only on the pool.
const script = (sql: string) => ({ text: sql, query_timeout: SCRIPT_TIMEOUT_MS }) as pg.QueryConfig;

/**
 * A pool of connections that holds no session state between statements (no session locks, no
 * SET, no LISTEN, unnamed prepared statements), so it also works through PgBouncer in transaction
 * mode. The server-side timeouts go as startup parameters; DATABASE_URL query parameters of the
 * same names (`?statement_timeout=60000&query_timeout=65000`) override all three. A connection
 * failure surfaces as a DatabaseUnavailableError and never as an unhandled `error` event.
 */
export function openPostgres(connectionString: string, options: PostgresOptions = {}): Store {
  const settings = { ...POSTGRES_DEFAULTS, ...options };
  const pool = new pg.Pool({
    connectionString,
    max: settings.max,
    connectionTimeoutMillis: settings.connectionTimeoutMs,
    statement_timeout: settings.statementTimeoutMs || undefined,
    idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs || undefined,
    query_timeout: settings.queryTimeoutMs || undefined,
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
      try {
        await pool.query(script(sql));
      } catch (error) {
        throw asUnavailable(error);
      }
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
      query: async <R = Row>(sql: string, params?: unknown[]) =>
        (await client.query(sql, params as unknown[])).rows as R[],
      exec: async (sql) => {
        await client.query(script(sql));
      },
    });
    await client.query('commit');
    client.release();
    return result;
  } catch (error) {
    // A connection that cannot even roll back (lost, or its server gone silent) is dropped, not reused.
    const rolledBack = await client.query('rollback').then(
      () => true,
      () => false,
    );
    client.release(rolledBack ? undefined : (error as Error));
    throw error;
  }
}
