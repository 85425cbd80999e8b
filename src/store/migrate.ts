import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Store } from './store.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

interface Migration {
  version: string;
  sql: string;
}

async function readMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => ({
      version: file.replace(/\.sql$/, ''),
      sql: await readFile(path.join(dir, file), 'utf8'),
    })),
  );
}

/**
 * Applies every migration not yet recorded, each in its own transaction. Each transaction
 * first takes a transaction-scoped advisory lock, so replicas starting together apply
 * each file exactly once: the second waits, then sees it recorded. Nothing outlives the
 * transaction, so this works through PgBouncer in transaction mode too.
 */
export async function migrate(store: Store, dir = MIGRATIONS_DIR): Promise<string[]> {
  const applied: string[] = [];
  for (const migration of await readMigrations(dir)) {
    const ran = await store.transaction(async (tx) => {
      // A migration (or waiting for another replica's) may take longer than one request's statement.
      await tx.query('set local statement_timeout = 0');
      await tx.exec(`select pg_advisory_xact_lock(hashtext('tugboat:migrations'))`);
      await tx.query(
        'create table if not exists schema_migrations (version text primary key, applied_at timestamptz not null default now())',
      );
      const done = await tx.query('select 1 from schema_migrations where version = $1', [migration.version]);
      if (done.length) return false;
      await tx.exec(migration.sql);
      await tx.query('insert into schema_migrations (version) values ($1)', [migration.version]);
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return applied;
}

/** True when every migration file has been applied. */
export async function migrationsApplied(store: Store, dir = MIGRATIONS_DIR): Promise<boolean> {
  const wanted = (await readMigrations(dir)).map((m) => m.version);
  const rows = await store.query<{ version: string }>('select version from schema_migrations');
  const have = new Set(rows.map((r) => r.version));
  return wanted.every((v) => have.has(v));
}
