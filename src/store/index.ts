import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import type { Store } from './store.ts';

export type { ColumnsOf, Queryable, Row, Store } from './store.ts';
export { dateOrNull } from './store.ts';
export { migrate, migrationsApplied } from './migrate.ts';
export { DatabaseUnavailableError, isDatabaseUnavailable } from './unavailable.ts';

/** `DATABASE_URL` set: that PostgreSQL server; unset: embedded PGlite in `dataDir` (in memory when absent). */
export function openStore(options: { databaseUrl?: string; dataDir?: string }): Promise<Store> {
  return options.databaseUrl ? Promise.resolve(openPostgres(options.databaseUrl)) : openPglite(options.dataDir);
}
