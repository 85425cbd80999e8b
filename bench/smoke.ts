/**
 * Smoke-check figures for `npm run bench` (issue 5): the scheduler running 1,000 checks per
 * minute against a loopback server, on real PostgreSQL. How late each check starts after its
 * tick, the CPU this process spends per check, and what tugboat adds to the check's own latency;
 * each against a bare undici loop issuing the same requests on the same ticks, measured in the
 * same run.
 *
 * The server runs in a process of its own (this file with `--serve`), so `process.cpuUsage()`
 * here counts tugboat's work (or the bare loop's) and not the server's. It answers every request
 * after SERVICE_MS and keeps when each arrived and when it was answered: that is "the check's own
 * latency" the figures subtract.
 *
 * Alone: `npx tsx bench/smoke.ts` (BENCH_SMOKE_SECONDS, default 60; BENCH_DATABASE_URL, else
 * TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { listenOnLoopback } from '../src/fakes/http.ts';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { parseConfig } from '../src/config/index.ts';
import { createLogger } from '../src/log.ts';
import { configuredChecks, createLimit, type SmokeResult, startSmokeScheduler, tickOf } from '../src/smoke/index.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { withSchema } from './schema.ts';

/** How long the loopback server takes to answer each check. */
const SERVICE_MS = 20;
const SERVICES = 10;
/** Per service: 5 checks every 5 s (60/min) and 10 every 15 s (40/min); 10 services make 1,000 checks per minute. */
const GROUPS = [
  { prefix: 'fast', count: 5, everyMs: 5_000 },
  { prefix: 'slow', count: 10, everyMs: 15_000 },
] as const;
/** Every check's tick falls on a multiple of this: the measured window starts and ends on one. */
const CYCLE_MS = 15_000;
/** The measured window opens this long before its first tick, when the previous ticks' checks are long done. */
const LEAD_MS = 500;
/** The scheduler's default concurrency (DEFAULT_CONCURRENCY in src/smoke/scheduler.ts); the bare loop uses the same bound. */
const CONCURRENCY = 20;

const CHECKS = Array.from({ length: SERVICES }, (_, service) =>
  GROUPS.flatMap(({ prefix, count, everyMs }) =>
    Array.from({ length: count }, (_, i) => ({ service: `svc${service}`, name: `${prefix}-${i}`, everyMs })),
  ),
).flat();
const PER_MINUTE = CHECKS.reduce((sum, check) => sum + 60_000 / check.everyMs, 0);

const checkPath = (service: string, name: string) => `/smoke/${service}/${name}`;

function configYaml(origin: string): string {
  const services = Array.from({ length: SERVICES }, (_, service) => {
    const checks = CHECKS.filter((check) => check.service === `svc${service}`).map(
      ({ service, name, everyMs }) =>
        `        - { name: ${name}, url: "${origin}${checkPath(service, name)}", every: ${everyMs / 1000}s, expect: { status: 200, body_contains: ok } }`,
    );
    return [
      `  svc${service}:`,
      `    repo: acme/svc${service}`,
      `    environments: [production]`,
      `    deploy: { via: github-deployment }`,
      `    smoke:`,
      `      production:`,
      ...checks,
    ].join('\n');
  });
  return ['environments:', '  production: { channel: C0PROD }', 'services:', ...services, ''].join('\n');
}

/** Wall-clock milliseconds with the monotonic clock's resolution. */
const now = () => performance.timeOrigin + performance.now();

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

interface Served {
  path: string;
  /** When the request's headers arrived, and when the answer was handed to the socket (wall clock, ms). */
  arrived: number;
  answered: number;
}

// --- the loopback server, in a process of its own ---

async function serve(): Promise<void> {
  let served: Served[] = [];
  const server = http.createServer((req, res) => {
    const arrived = now();
    const url = req.url ?? '/';
    if (url === '/served') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(served));
      served = [];
      return;
    }
    req.resume();
    setTimeout(() => {
      res.on('finish', () => served.push({ path: url, arrived, answered: now() }));
      res.setHeader('content-type', 'application/json');
      res.end('{"status":"ok"}');
    }, SERVICE_MS);
  });
  console.log(`listening ${new URL(await listenOnLoopback(server)).port}`);
}

async function startServer(): Promise<{ origin: string; served(): Promise<Served[]>; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve(Number(/^listening (\d+)$/.exec(line)?.[1] ?? Number.NaN)));
    child.once('exit', (code) => reject(new Error(`the smoke bench server exited (${code})`)));
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    async served() {
      const { body } = await request(`${origin}/served`);
      return (await body.json()) as Served[];
    },
    stop: () =>
      new Promise((resolve) =>
        child.exitCode === null ? child.once('exit', () => resolve()).kill('SIGTERM') : resolve(),
      ),
  };
}

/** The next cycle boundary at least a second away, and the window of `windowMs` of ticks starting there. */
function nextWindow(windowMs: number) {
  const first = Math.ceil((Date.now() + LEAD_MS + 1_000) / CYCLE_MS) * CYCLE_MS;
  return { first, end: first + windowMs, opens: first - LEAD_MS, closes: first + windowMs - LEAD_MS };
}

const sleepUntil = (at: number) => sleep(Math.max(0, at - Date.now()));

/** One check run (tugboat) or one request (bare), matched to the server's record of it. */
interface Sample {
  path: string;
  tick: number;
  /** When the request started (tugboat: `startedAt`, what `runCheck` records). */
  startedAt: number;
  /** The latency the client measured (tugboat: `latencyMs`, as recorded). */
  latencyMs: number;
  /** When the result was reported (tugboat: `onResult`; bare: the body was read). */
  doneAt: number;
  ok: boolean;
}

interface SideFigures {
  /** Checks (or requests) whose tick fell in the window, and how many of the ticks due there they are. */
  ran: number;
  due: number;
  failed: number;
  /** Of those, how many were reported after the window closed (their CPU is not counted). */
  late: number;
  unmatched: number;
  cpuUsPerCheck: number;
  drift: number[];
  /** Per tick, the earliest start after it: how late the pass itself was, before any queueing. */
  passLateness: number[];
  added: number[];
  tickToDone: number[];
  serverMs: number[];
}

function figures(
  samples: Sample[],
  served: Served[],
  window: ReturnType<typeof nextWindow>,
  cpuMicros: number,
): SideFigures {
  const byPath = new Map<string, Served[]>();
  for (const record of served) byPath.set(record.path, [...(byPath.get(record.path) ?? []), record]);
  const measured = samples.filter((sample) => sample.tick >= window.first && sample.tick < window.end);
  const earliest = new Map<number, number>();
  const result: SideFigures = {
    ran: measured.length,
    due: dueIn(window),
    failed: 0,
    late: 0,
    unmatched: 0,
    cpuUsPerCheck: cpuMicros / measured.length,
    drift: [],
    passLateness: [],
    added: [],
    tickToDone: [],
    serverMs: [],
  };
  for (const sample of measured) {
    if (!sample.ok) result.failed++;
    if (sample.doneAt > window.closes) result.late++;
    const drift = sample.startedAt - sample.tick;
    result.drift.push(drift);
    earliest.set(sample.tick, Math.min(earliest.get(sample.tick) ?? Infinity, drift));
    // A check runs every 5 s at most: its request is the one arriving nearest its start.
    const candidates = byPath.get(sample.path) ?? [];
    const match = candidates.reduce<Served | undefined>(
      (best, record) =>
        !best || Math.abs(record.arrived - sample.startedAt) < Math.abs(best.arrived - sample.startedAt)
          ? record
          : best,
      undefined,
    );
    if (!match || Math.abs(match.arrived - sample.startedAt) > 1_000) {
      result.unmatched++;
      continue;
    }
    const serverMs = match.answered - match.arrived;
    result.serverMs.push(serverMs);
    result.added.push(sample.latencyMs - serverMs);
    result.tickToDone.push(sample.doneAt - sample.tick - serverMs);
  }
  result.passLateness = [...earliest.values()];
  return result;
}

function dueIn(window: ReturnType<typeof nextWindow>): number {
  return CHECKS.reduce((sum, check) => sum + Math.ceil((window.end - window.first) / check.everyMs), 0);
}

// --- tugboat: the real scheduler, store and checks ---

async function runTugboat(
  databaseUrl: string,
  origin: string,
  windowMs: number,
  served: () => Promise<Served[]>,
): Promise<SideFigures> {
  const store = await openStore({ databaseUrl });
  await migrate(store);
  const config = parseConfig(configYaml(origin), 'bench-smoke.yml');
  const everyOf = new Map(configuredChecks(config).map(({ id, check }) => [id, check.every]));
  if (everyOf.size !== CHECKS.length)
    throw new Error(`expected ${CHECKS.length} checks, the config has ${everyOf.size}`);
  const reported: Array<{ result: SmokeResult; at: number }> = [];
  const scheduler = startSmokeScheduler({
    store,
    config: () => config,
    log: createLogger({ level: 'warn' }),
    // The jitter is chosen inside the scheduler and not exposed: without it, a check's start minus its tick is all drift.
    maxJitterMs: 0,
    onResult: (result) => void reported.push({ result, at: now() }),
    onTransition: () => undefined,
  });
  let cpu: NodeJS.CpuUsage;
  let window: ReturnType<typeof nextWindow>;
  try {
    // The first pass runs every check at once (their ticks already past): it warms up the JIT, the pools and the claims.
    const deadline = Date.now() + 30_000;
    while (reported.length < CHECKS.length) {
      if (Date.now() > deadline)
        throw new Error(`only ${reported.length} of ${CHECKS.length} checks reported in the warm-up pass`);
      await sleep(50);
    }
    window = nextWindow(windowMs);
    await sleepUntil(window.opens);
    const before = process.cpuUsage();
    await sleepUntil(window.closes);
    cpu = process.cpuUsage(before);
  } finally {
    await scheduler.stop();
    await store.close();
  }
  const samples = reported.map(({ result, at }): Sample => {
    const startedAt = result.startedAt.getTime();
    return {
      path: checkPath(result.service, result.name),
      tick: tickOf(everyOf.get(result.checkId)!, result.startedAt).getTime(),
      startedAt,
      latencyMs: result.latencyMs,
      doneAt: at,
      ok: result.ok,
    };
  });
  return figures(samples, await served(), window, cpu.user + cpu.system);
}

// --- the baseline: the same requests on the same ticks, a bare loop over undici ---

async function runBare(origin: string, windowMs: number, served: () => Promise<Served[]>): Promise<SideFigures> {
  const limit = createLimit(CONCURRENCY);
  const samples: Sample[] = [];
  const fire = (check: (typeof CHECKS)[number], tick: number) =>
    limit(async () => {
      const path = `/bare/${check.service}/${check.name}/${tick}`;
      const startedAt = now();
      const started = performance.now();
      const { statusCode, body } = await request(origin + path);
      const text = await body.text();
      const latencyMs = performance.now() - started;
      samples.push({ path, tick, startedAt, latencyMs, doneAt: now(), ok: statusCode === 200 && text.includes('ok') });
    });
  // Warm-up, as tugboat's first pass: every request once.
  await Promise.all(CHECKS.map((check) => fire(check, 0)));
  const window = nextWindow(windowMs);
  await sleepUntil(window.opens);
  const before = process.cpuUsage();
  const inFlight: Array<Promise<void>> = [];
  for (let tick = window.first; tick < window.end; tick += GROUPS[0].everyMs) {
    await sleepUntil(tick);
    for (const check of CHECKS) if (tick % check.everyMs === 0) inFlight.push(fire(check, tick));
  }
  await sleepUntil(window.closes);
  const cpu = process.cpuUsage(before);
  await Promise.all(inFlight);
  return figures(samples, await served(), window, cpu.user + cpu.system);
}

// --- the bench and its printed block ---

export async function benchSmoke(options: { databaseUrl: string; seconds?: number }) {
  const seconds = options.seconds ?? Number(process.env.BENCH_SMOKE_SECONDS ?? 60);
  const windowMs = Math.max(1, Math.ceil((seconds * 1000) / CYCLE_MS)) * CYCLE_MS;
  const server = await startServer();
  try {
    const tugboat = await withSchema(options.databaseUrl, (url) =>
      runTugboat(url, server.origin, windowMs, server.served),
    );
    const bare = await runBare(server.origin, windowMs, server.served);
    return { windowMs, tugboat, bare };
  } finally {
    await server.stop();
  }
}

export function smokeReport({ windowMs, tugboat, bare }: Awaited<ReturnType<typeof benchSmoke>>): string[] {
  const ms = (value: number) => (Math.abs(value) < 100 ? value.toFixed(1) : Math.round(value).toString());
  const spread = (values: number[]) =>
    `p50 ${ms(percentile(values, 50))} ms   p99 ${ms(percentile(values, 99))} ms   max ${ms(Math.max(...values))} ms`;
  const ratio = (a: number, b: number) => (b > 0.05 ? (a / b).toFixed(2) : 'n/a');
  const p = (values: number[], q: number) => percentile(values, q);
  /** Tugboat's and the baseline's p50 and p99, and their ratios (tugboat / bare). */
  const versus = (of: (side: SideFigures) => number[]) => {
    const [t, b] = [of(tugboat), of(bare)];
    return `tugboat p50 ${ms(p(t, 50))} ms   p99 ${ms(p(t, 99))} ms   bare p50 ${ms(p(b, 50))} ms   p99 ${ms(p(b, 99))} ms   ratio p50 ${ratio(p(t, 50), p(b, 50))}, p99 ${ratio(p(t, 99), p(b, 99))}`;
  };
  const minutes = windowMs / 60_000;
  const counts = (side: SideFigures) =>
    `${side.ran.toLocaleString('en-US')} of ${side.due.toLocaleString('en-US')} due = ${Math.round(side.ran / minutes).toLocaleString('en-US')}/min, failed ${side.failed}` +
    (side.late ? `, ${side.late} reported after the window closed` : '') +
    (side.unmatched ? `, ${side.unmatched} not matched to a request` : '');
  const groups = GROUPS.map(({ count, everyMs }) => `${count * SERVICES} every ${everyMs / 1000}s`).join(' + ');
  return [
    `\nSmoke scheduler (${CHECKS.length} checks on ${SERVICES} services: ${groups} = ${PER_MINUTE.toLocaleString('en-US')} checks/min, GET + status and body assertions,`,
    `  against a loopback server in its own process answering after ${SERVICE_MS} ms; real PostgreSQL, default concurrency ${CONCURRENCY}, maxJitterMs 0 because the scheduler`,
    `  does not expose the jitter it picks, so every start is on its tick and each tick's checks start together; ${windowMs / 1000} s of ticks measured after a warm-up pass)`,
    `  checks run (of the ticks due in the window; the goal rate is ${PER_MINUTE.toLocaleString('en-US')}/min): tugboat ${counts(tugboat)}   bare ${counts(bare)}`,
    `  tick drift, a check's start (runCheck's startedAt) - its tick; a tick's 50 or 150 checks go ${CONCURRENCY} at a time, so most of it is waiting for a slot:`,
    `    ${versus((side) => side.drift)}   (max: tugboat ${ms(Math.max(...tugboat.drift))} ms, bare ${ms(Math.max(...bare.drift))} ms)`,
    `  pass lateness, each tick's earliest start - the tick, before anything queues (tugboat: cron firing, the pass, the claim; ${tugboat.passLateness.length} ticks):`,
    `    tugboat ${spread(tugboat.passLateness)}   bare ${spread(bare.passLateness)}`,
    `  CPU per check, this process's user+system time over the window / checks run (the server's is not counted):`,
    `    tugboat ${Math.round(tugboat.cpuUsPerCheck)} µs (cron, claim + release, request, recording, alert rule)   bare ${Math.round(bare.cpuUsPerCheck)} µs (undici request + body read)   ratio ${ratio(tugboat.cpuUsPerCheck, bare.cpuUsPerCheck)}`,
    `  the check's own latency, server side (request arrived -> answer sent; subtracted per request below): tugboat's ${spread(tugboat.serverMs)}`,
    `  added latency, the latency the client measured (tugboat: latency_ms as recorded, whole ms) - the server's time for that request:`,
    `    ${versus((side) => side.added)}`,
    `  tick -> result reported - the server's time (tugboat: onResult, which gets a pass's results together once all its checks are done, recorded and judged; bare: body read):`,
    `    ${versus((side) => side.tickToDone)}`,
  ];
}

const invoked = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invoked && process.argv.includes('--serve')) await serve();
else if (invoked) {
  const databaseUrl =
    process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  for (const line of smokeReport(await benchSmoke({ databaseUrl }))) console.log(line);
}
