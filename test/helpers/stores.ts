import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, openStore, type Store } from '../../src/store/index.ts';

export interface StoreBackend {
  name: 'pglite' | 'postgres';
  /** A fresh, migrated, isolated database; `close()` drops it. */
  open(): Promise<TestDatabase>;
}

export interface TestDatabase {
  store: Store;
  /** A URL other processes or stores can connect to (postgres only). */
  url?: string;
  openAnother(): Promise<Store>;
  close(): Promise<void>;
}

const pglite: StoreBackend = {
  name: 'pglite',
  async open() {
    const store = await openStore({});
    await migrate(store);
    return {
      store,
      openAnother: () => Promise.reject(new Error('PGlite is one process; open a postgres backend for replicas')),
      close: () => store.close(),
    };
  },
};

/** Each test database is its own schema on the server at TEST_DATABASE_URL. */
function postgres(baseUrl: string): StoreBackend {
  return {
    name: 'postgres',
    async open() {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: baseUrl });
      await admin.connect();
      await admin.query(`create schema ${schema}`);
      await admin.end();
      const url = withSearchPath(baseUrl, schema);
      const opened: Store[] = [];
      const openAnother = async () => {
        const s = await openStore({ databaseUrl: url });
        opened.push(s);
        return s;
      };
      const store = await openAnother();
      await migrate(store);
      return {
        store,
        url,
        openAnother,
        async close() {
          await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
          const cleanup = new pg.Client({ connectionString: baseUrl });
          await cleanup.connect();
          await cleanup.query(`drop schema ${schema} cascade`);
          await cleanup.end();
        },
      };
    },
  };
}

function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

/** PGlite always; real PostgreSQL too when TEST_DATABASE_URL is set. */
export const storeBackends: StoreBackend[] = [
  pglite,
  ...(process.env.TEST_DATABASE_URL ? [postgres(process.env.TEST_DATABASE_URL)] : []),
];

export const postgresBackend = process.env.TEST_DATABASE_URL ? postgres(process.env.TEST_DATABASE_URL) : undefined;
