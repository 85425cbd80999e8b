/**
 * Idle footprint for `npm run bench` (issue 12, point 9): tugboat's resident memory while it does
 * nothing, started as in production (`npm run build`, then `node dist/src/main.js` with
 * NODE_ENV=production), on the embedded PGlite store (first start into an empty data folder, and
 * a restart on that folder) and on PostgreSQL.
 *
 * Alone: `npx tsx bench/footprint.ts` (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/test).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { FakeGitHubApi } from '../src/fakes/github-api.ts';
import { FakeSlackApi } from '../src/fakes/slack-api.ts';
import { buildDist, REPO_ROOT, startBuiltTugboat } from '../test/helpers/built-app.ts';
import { withSchema } from './schema.ts';

const IDLE_SECONDS = 10;
const SAMPLE_EVERY_MS = 500;
const MB = 1024 * 1024;
const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-bench',
  SLACK_SIGNING_SECRET: 'bench-signing-secret',
  GITHUB_WEBHOOK_SECRET: 'bench-webhook-secret',
  GITHUB_TOKEN: 'ghp_bench',
};
const CONFIG = `
environments:
  production: { channel: C0DEPLOYS }
services:
  api: { repo: acme/api, environments: [production], deploy: { via: github-deployment } }
`;

export interface Footprint {
  store: string;
  /** Resident memory, the most seen while idle. */
  rss: number;
  /** From spawning the process to `/readyz` answering 200. */
  readyMs: number;
}

async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) * 1024;
}

/** Starts tugboat from dist/ with `env`, lets it idle, and reads its resident memory. */
async function idleFootprint(store: string, env: Record<string, string>): Promise<Footprint> {
  const startedAt = performance.now();
  const tugboat = await startBuiltTugboat(REPO_ROOT, { ...env, LOG_LEVEL: 'warn' });
  const readyMs = performance.now() - startedAt;
  try {
    const samples: number[] = [];
    for (let i = 0; i < (IDLE_SECONDS * 1000) / SAMPLE_EVERY_MS; i++) {
      samples.push(await residentBytes(tugboat.child.pid!));
      await sleep(SAMPLE_EVERY_MS);
    }
    return { store, rss: Math.max(...samples), readyMs };
  } finally {
    await tugboat.stop();
  }
}

export async function benchFootprint({ databaseUrl }: { databaseUrl: string }): Promise<Footprint[]> {
  await buildDist();
  const slackApi = await FakeSlackApi.start({ token: SECRETS.SLACK_BOT_TOKEN });
  const githubApi = await FakeGitHubApi.start();
  const dir = await mkdtemp(path.join(tmpdir(), 'tugboat-bench-footprint-'));
  try {
    await writeFile(path.join(dir, 'tugboat.yml'), CONFIG);
    const env = {
      ...SECRETS,
      SLACK_API_URL: slackApi.url,
      GITHUB_API_URL: githubApi.url,
      TUGBOAT_CONFIG: path.join(dir, 'tugboat.yml'),
    };
    const pglite = { ...env, TUGBOAT_DATA_DIR: path.join(dir, 'data') };
    return [
      await idleFootprint('PGlite, first start (empty data folder)', pglite),
      await idleFootprint('PGlite, restart (existing data folder)', pglite),
      await withSchema(databaseUrl, (schemaUrl) => idleFootprint('PostgreSQL', { ...env, DATABASE_URL: schemaUrl })),
    ];
  } finally {
    await slackApi.close();
    await githubApi.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export function footprintReport(footprints: Footprint[]): string[] {
  const goals: Record<string, number> = { PGlite: 300, PostgreSQL: 150 };
  return [
    `\nIdle footprint (node dist/src/main.js, NODE_ENV=production, idle ${IDLE_SECONDS} s after /readyz; VmRSS, the most of samples every ${SAMPLE_EVERY_MS} ms)`,
    ...footprints.map(({ store, rss, readyMs }) => {
      const goal = goals[store.split(',')[0]];
      const rssMb = Math.round(rss / MB);
      return `  ${store}: ${rssMb} MB   ready after ${(readyMs / 1000).toFixed(1)} s   (goal under ${goal} MB -> ${rssMb < goal ? 'met' : 'NOT met'})`;
    }),
  ];
}

const invoked = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invoked) {
  const databaseUrl =
    process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  for (const line of footprintReport(await benchFootprint({ databaseUrl }))) console.log(line);
}
