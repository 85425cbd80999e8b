import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Runs `fn` against a schema of its own on the server at `databaseUrl`, dropped afterwards. */
export async function withSchema<T>(databaseUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  try {
    return await fn(url.toString());
  } finally {
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
}
