/**
 * Bounded-intake figures for `npm run bench` (issue 10, point 2): tugboat's resident memory and
 * `/healthz` latency while 200 clients at once keep sending unsigned 20 MB bodies to
 * `/github/webhooks`, each against the same process idle, measured in the same run.
 *
 * Three processes, so that each figure is of one thing: tugboat (`src/main.ts`, its RSS read
 * from /proc), the flood (this file with `--flood`), and this one, which probes `/healthz`.
 *
 * Alone: `npx tsx bench/intake.ts` (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/test).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { FakeSlackApi } from '../src/fakes/slack-api.ts';
import { freePort } from '../src/fakes/http.ts';
import { withSchema } from './schema.ts';

const CLIENTS = 200;
const BODY_BYTES = 20 * 1024 * 1024;
const FLOOD_SECONDS = 5;
const IDLE_SECONDS = 2;
const PROBE_EVERY_MS = 20;
const MB = 1024 * 1024;

const CONFIG = `
environments:
  production: { channel: C0DEPLOYS }
services:
  api: { repo: acme/api, environments: [production], deploy: { via: github-deployment } }
`;

// --- the flood, in a process of its own ---

interface FloodResult {
  requests: number;
  statuses: Record<string, number>;
  /** Connections closed before an answer arrived. */
  resets: number;
  /** Answer times by status, from the request's start (ms). */
  answerMs: Record<string, number[]>;
}

/** `CLIENTS` loops, each sending one unsigned upload after another until the time is up. */
async function flood(url: string): Promise<void> {
  const body = Buffer.alloc(BODY_BYTES, 'x');
  const result: FloodResult = { requests: 0, statuses: {}, resets: 0, answerMs: {} };
  const until = Date.now() + FLOOD_SECONDS * 1000;
  const client = async () => {
    while (Date.now() < until) {
      const started = performance.now();
      const status = await upload(url, body);
      result.requests++;
      if (status === undefined) result.resets++;
      else {
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
        (result.answerMs[status] ??= []).push(performance.now() - started);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  process.stdout.write(JSON.stringify(result));
}

/** The status of one unsigned upload, or undefined when the connection closed first. */
function upload(url: string, body: Buffer): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.request(`${url}/github/webhooks`, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'x-github-event': 'push',
        'x-github-delivery': `flood-${Math.random()}`,
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode);
      req.destroy();
    });
    req.on('error', () => resolve(undefined));
    req.end(body);
  });
}

// --- the measuring side ---

async function rssOf(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
}

/** Samples RSS and times `/healthz` every PROBE_EVERY_MS until `done` resolves. */
async function watch(url: string, pid: number, done: Promise<unknown>) {
  let finished = false;
  void done.then(() => (finished = true));
  const rss: number[] = [];
  const healthzMs: number[] = [];
  let healthzFailed = 0;
  while (!finished) {
    rss.push(await rssOf(pid, 'VmRSS'));
    const started = performance.now();
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) }).then(
      async (r) => (await r.text(), r.status === 200),
      () => false,
    );
    if (ok) healthzMs.push(performance.now() - started);
    else healthzFailed++;
    await sleep(PROBE_EVERY_MS);
  }
  return { rss, healthzMs, healthzFailed };
}

async function startTugboat(
  databaseUrl: string,
  slackApiUrl: string,
  dir: string,
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      LOG_LEVEL: 'error',
      DATABASE_URL: databaseUrl,
      TUGBOAT_CONFIG: path.join(dir, 'tugboat.yml'),
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: 'bench-signing-secret',
      SLACK_API_URL: slackApiUrl,
      GITHUB_TOKEN: 'ghp_bench',
      GITHUB_WEBHOOK_SECRET: 'bench-webhook-secret',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, child };
    await sleep(100);
  }
  child.kill();
  throw new Error('tugboat did not start');
}

function startFlood(url: string): Promise<FloodResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--flood', url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as FloodResult) : reject(new Error(`the flood exited (${code})`)),
    ),
  );
}

export async function benchIntake({ databaseUrl }: { databaseUrl: string }) {
  return withSchema(databaseUrl, async (schemaUrl) => {
    const slackApi = await FakeSlackApi.start({ token: 'xoxb-bench' });
    const dir = await mkdtemp(path.join(tmpdir(), 'tugboat-bench-intake-'));
    await writeFile(path.join(dir, 'tugboat.yml'), CONFIG);
    const { url, child } = await startTugboat(schemaUrl, slackApi.url, dir);
    const pid = child.pid!;
    try {
      const idle = await watch(url, pid, sleep(IDLE_SECONDS * 1000));
      // Resets the peak-RSS counter (VmHWM), so that the peak read after the flood is the flood's.
      await writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => undefined);
      const flooding = startFlood(url);
      const during = await watch(url, pid, flooding);
      const result = await flooding;
      const peakRss = Math.max(await rssOf(pid, 'VmHWM'), ...during.rss);
      return { idle, during, result, peakRss };
    } finally {
      await new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM'));
      await slackApi.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

export function intakeReport({ idle, during, result, peakRss }: Awaited<ReturnType<typeof benchIntake>>): string[] {
  const mb = (bytes: number) => `${Math.round(bytes / MB)} MB`;
  const ms = (values: number[], p: number) => `${percentile(values, p).toFixed(1)} ms`;
  const idleRss = Math.max(...idle.rss);
  const statuses = Object.entries(result.statuses)
    .map(([status, count]) => `${status} x${count.toLocaleString('en-US')}`)
    .join(', ');
  const answerTimes = Object.entries(result.answerMs)
    .map(([status, times]) => `${status} p50 ${ms(times, 50)}, p99 ${ms(times, 99)}`)
    .join('   ');
  return [
    `\nBounded intake (${CLIENTS} clients at once, each sending unsigned ${BODY_BYTES / MB} MB bodies to /github/webhooks one after another for ${FLOOD_SECONDS} s;`,
    `  tugboat in its own process on PostgreSQL with the default limits: 64 MB budget for unverified bodies, 48 MB of it for bodies over 1 MB)`,
    `  uploads: ${result.requests.toLocaleString('en-US')} started; answers ${statuses}; connection closed before the answer was read ${result.resets}`,
    `  answer time (upload start -> status): ${answerTimes}`,
    `  RSS: idle ${mb(idleRss)}   peak during the flood ${mb(peakRss)} (VmHWM)   +${mb(peakRss - idleRss)}   ratio ${(peakRss / idleRss).toFixed(2)}`,
    `  /healthz every ${PROBE_EVERY_MS} ms: idle p50 ${ms(idle.healthzMs, 50)}   p99 ${ms(idle.healthzMs, 99)}   ` +
      `flood p50 ${ms(during.healthzMs, 50)}   p99 ${ms(during.healthzMs, 99)}   max ${ms(during.healthzMs, 100)}   ` +
      `failed ${during.healthzFailed} of ${during.healthzMs.length + during.healthzFailed}`,
  ];
}

const invoked = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invoked && process.argv.includes('--flood')) await flood(process.argv[process.argv.indexOf('--flood') + 1]);
else if (invoked) {
  const databaseUrl =
    process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  for (const line of intakeReport(await benchIntake({ databaseUrl }))) console.log(line);
}
