import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/env.ts';
import { FakeSlackApi } from '../../src/fakes/slack-api.ts';
import { freePort } from '../../src/fakes/http.ts';
import { githubWebhookHeaders, slackSignedHeaders } from '../../src/fakes/signing.ts';
import { createIntakeBudget, type IntakeLimits } from '../../src/http/intake.ts';
import { startTugboat, type RunningTugboat } from '../../src/main.ts';
import { TestClock } from '../helpers/clock.ts';
import { FIXTURE_CONFIG, SECRETS, startHarness, type Harness } from '../helpers/harness.ts';
import { LogCapture } from '../helpers/logs.ts';
import { postgresBackend, storeBackends } from '../helpers/stores.ts';

const [pglite] = storeBackends;
const KB = 1024;

/** Small numbers, so that tests send kilobytes instead of megabytes. */
const SMALL_LIMITS: Partial<IntakeLimits> = {
  budgetBytes: 1024 * KB,
  smallBodyBytes: 64 * KB,
  reservedForSmallBytes: 256 * KB,
  githubBytes: 512 * KB,
  slackBytes: 16 * KB,
};

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A request whose body the test writes piece by piece (`req.write`), answered perhaps before
 * the body is all sent; errors after the answer (the server closing on the rest) are ignored.
 */
function openRequest(url: string, route: string, headers: Record<string, string>) {
  const req = http.request(`${url}${route}`, { method: 'POST', headers, agent: false });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      req.removeListener('error', reject);
      req.on('error', () => undefined);
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
  });
  return { req, answer };
}

const unsignedDelivery = (length?: number): Record<string, string> => ({
  'content-type': 'application/json',
  'x-github-event': 'push',
  'x-github-delivery': `unsigned-${Math.random()}`,
  'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
  ...(length === undefined ? {} : { 'content-length': String(length) }),
});

async function healthz(url: string): Promise<number> {
  return (await fetch(`${url}/healthz`)).status;
}

describe('bounded intake', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('answers a body declared over the route cap with 413 before reading it', async () => {
    h = await startHarness({ backend: pglite, http: { intake: SMALL_LIMITS } });
    const { req, answer } = openRequest(h.url, '/github/webhooks', unsignedDelivery(4096 * KB));
    req.write(Buffer.alloc(KB));
    const { status, headers } = await answer;
    req.destroy();
    expect(status).toBe(413);
    expect(headers.connection).toBe('close');
  });

  it('answers a chunked body with 413 once it passes the cap, without waiting for its end', async () => {
    h = await startHarness({ backend: pglite, http: { intake: SMALL_LIMITS } });
    const { req, answer } = openRequest(h.url, '/github/webhooks', unsignedDelivery());
    let answered = false;
    void answer.then(
      () => (answered = true),
      () => (answered = true),
    );
    let sent = 0;
    while (!answered && sent < 4096 * KB) {
      if (req.write(Buffer.alloc(16 * KB))) sent += 16 * KB;
      else await new Promise((resolve) => req.once('drain', resolve)).then(() => (sent += 16 * KB));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const { status } = await answer;
    req.destroy();
    expect(status).toBe(413);
    expect(sent).toBeLessThan(4096 * KB);
  });

  it('answers bodies past the budget with 503 and Retry-After at once, keeps room for small ones, and keeps answering /healthz', async () => {
    h = await startHarness({ backend: pglite, http: { intake: SMALL_LIMITS } });
    // Large bodies may hold 1024 - 256 = 768 KB: one 400 KB upload fits, the other nine do not.
    const uploads = Array.from({ length: 10 }, () =>
      openRequest(h.url, '/github/webhooks', unsignedDelivery(400 * KB)),
    );
    for (const { req } of uploads) req.write(Buffer.alloc(KB));
    const started = Date.now();
    const refused = await Promise.all(uploads.slice(1).map(({ answer }) => answer));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(refused.map((a) => a.status)).toEqual(Array(9).fill(503));
    expect(refused.every((a) => Number(a.headers['retry-after']) > 0 && a.headers.connection === 'close')).toBe(true);
    expect(await healthz(h.url)).toBe(200);

    // The first upload still holds its 400 KB, yet a small signed delivery gets in.
    const delivered = await h.github.deliver('ping', { zen: 'Keep it logically awesome.', hook_id: 1 });
    expect(delivered.status).toBe(202);

    // A client that hangs up gives its share back: the next large upload is read (and found unsigned).
    uploads[0].req.destroy();
    await uploads[0].answer.catch(() => undefined);
    await waitFor(async () => (await sendWhole(h.url, 400 * KB)) === 401);
  });

  it('cuts off a client sending its headers byte by byte, and one trickling its body', async () => {
    const timeouts = { headersTimeoutMs: 400, requestTimeoutMs: 800, timeoutCheckIntervalMs: 100 };
    h = await startHarness({ backend: pglite, http: { intake: { ...SMALL_LIMITS, ...timeouts } } });
    const port = Number(new URL(h.url).port);
    const headers = `POST /github/webhooks HTTP/1.1\r\nHost: tugboat\r\nX-Padding: ${'a'.repeat(200)}\r\n`;
    const slowHeaders = trickle(port, headers);
    const slowBody = trickle(
      port,
      `POST /github/webhooks HTTP/1.1\r\nHost: tugboat\r\n${headerLines(unsignedDelivery(4 * KB))}\r\n`,
      'x'.repeat(4 * KB),
    );
    expect(await healthz(h.url)).toBe(200);
    const [cutHeaders, cutBody] = await Promise.all([slowHeaders, slowBody]);
    expect(cutHeaders.received).toMatch(/^HTTP\/1\.1 408/);
    expect(cutHeaders.afterMs).toBeLessThan(2000);
    expect(cutHeaders.sent).toBeLessThan(headers.length);
    expect(cutBody.received).toMatch(/^HTTP\/1\.1 408/);
    expect(cutBody.afterMs).toBeLessThan(2500);
  });

  it('answers a /slack/events body over its cap with 413, declared or chunked, and still serves Slack', async () => {
    h = await startHarness({ backend: pglite, http: { intake: SMALL_LIMITS } });
    const big = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', padding: 'x'.repeat(20 * KB) }))}`;
    const signed = slackSignedHeaders(SECRETS.signingSecret, big, 'application/x-www-form-urlencoded');
    expect((await fetch(`${h.url}/slack/events`, { method: 'POST', headers: signed, body: big })).status).toBe(413);

    const { req, answer } = openRequest(h.url, '/slack/events', { ...signed, 'transfer-encoding': 'chunked' });
    req.end(big);
    expect((await answer).status).toBe(413);

    await h.slack.slashCommand({ command: '/lock', text: 'staging', userId: 'U0ALICE', channelId: 'C0STAGING' });
    await h.slackApi.waitFor('chat.postMessage', (c) => String(c.args.text).includes('locked'));
  });

  it('answers an unknown route without reading its body', async () => {
    h = await startHarness({ backend: pglite, http: { intake: SMALL_LIMITS } });
    const { req, answer } = openRequest(h.url, '/upload', { 'content-length': String(100 * 1024 * KB) });
    req.write(Buffer.alloc(KB));
    const { status, headers } = await answer;
    req.destroy();
    expect(status).toBe(404);
    expect(headers.connection).toBe('close');
  });

  it('accepts a signed 20 MB delivery under the default limits', async () => {
    h = await startHarness({ backend: pglite });
    const handled: string[] = [];
    h.tugboat.webhooks.on('ping', ({ id }) => void handled.push(id));
    const body = JSON.stringify({
      zen: 'Anything added dilutes everything else.',
      hook_id: 1,
      padding: 'x'.repeat(20 * 1024 * KB),
    });
    const headers = githubWebhookHeaders({ secret: SECRETS.webhookSecret, event: 'ping', deliveryId: 'big-1', body });
    const response = await fetch(`${h.url}/github/webhooks`, { method: 'POST', headers, body });
    expect(response.status).toBe(202);
    await h.tugboat.settle();
    expect(handled).toEqual(['big-1']);
  });
});

describe('the intake budget', () => {
  const budget = () => createIntakeBudget({ budgetBytes: 100, smallBodyBytes: 10, reservedForSmallBytes: 30 });

  it('keeps its reserve for small bodies and takes claims back once', () => {
    const b = budget();
    const large = b.reserve(60)!;
    expect(b.reserve(20)).toBeUndefined();
    const small = b.reserve(10)!;
    expect(b.heldBytes()).toBe(70);
    expect(b.reserve(10)).toBeDefined();
    large.release();
    large.release();
    small.release();
    expect(b.heldBytes()).toBe(10);
  });

  it('grows a chunked claim until the budget is spent, leaving it as it was', () => {
    const b = budget();
    const chunked = b.reserve(0)!;
    expect(chunked.growTo(8)).toBe(true);
    expect(chunked.growTo(70)).toBe(true);
    expect(chunked.growTo(71)).toBe(false);
    expect(b.heldBytes()).toBe(70);
    chunked.release();
    expect(b.heldBytes()).toBe(0);
  });
});

for (const backend of storeBackends) {
  describe(`delivery records on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    it('forgets Slack events, GitHub deliveries and the auto-deploys they started older than seven days, keeping newer ones', async () => {
      const clock = new TestClock();
      h = await startHarness({ backend, clock });
      const daysAgo = (days: number) => new Date(clock.now().getTime() - days * 24 * 3600_000);
      for (const [id, days] of [
        ['E-old', 8],
        ['E-new', 6],
      ] as const) {
        await h.db.store.query('insert into slack_events (event_id, received_at) values ($1, $2)', [id, daysAgo(days)]);
        await h.db.store.query(
          `insert into github_deliveries (delivery_id, event, status, received_at) values ($1, 'push', 'done', $2)`,
          [id.replace('E', 'D'), daysAgo(days)],
        );
        await h.db.store.query(
          `insert into auto_deploy_starts (delivery_id, service, environment, deploy_id, claimed_until) values ($1, 'api', 'staging', null, $2)`,
          [id.replace('E', 'D'), daysAgo(days)],
        );
      }
      await h.tugboat.jobs.find((job) => job.name === 'delivery-prune')!.run();
      expect(await h.db.store.query('select event_id from slack_events')).toEqual([{ event_id: 'E-new' }]);
      expect(await h.db.store.query('select delivery_id from github_deliveries')).toEqual([{ delivery_id: 'D-new' }]);
      expect(await h.db.store.query('select delivery_id from auto_deploy_starts')).toEqual([{ delivery_id: 'D-new' }]);
      expect(h.logs.lines.find((line) => line.msg === 'pruned old delivery records')).toMatchObject({
        slackEvents: 1,
        githubDeliveries: 1,
        autoDeployStarts: 1,
      });
    });
  });
}

describe('start-up', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function start(vars: Record<string, string>): Promise<{ running: RunningTugboat; logs: LogCapture }> {
    const slackApi = await FakeSlackApi.start({ token: SECRETS.botToken });
    cleanup.push(() => slackApi.close());
    const dir = await mkdtemp(path.join(tmpdir(), 'tugboat-intake-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'tugboat.yml'), FIXTURE_CONFIG);
    const logs = new LogCapture();
    const running = await startTugboat(
      {
        SLACK_BOT_TOKEN: SECRETS.botToken,
        SLACK_SIGNING_SECRET: SECRETS.signingSecret,
        GITHUB_WEBHOOK_SECRET: SECRETS.webhookSecret,
        SLACK_API_URL: slackApi.url,
        PORT: '0',
        TUGBOAT_CONFIG: path.join(dir, 'tugboat.yml'),
        TUGBOAT_DATA_DIR: path.join(dir, 'data'),
        ...vars,
      },
      { host: '127.0.0.1', logDestination: logs },
    );
    cleanup.push(() => running.stop());
    return { running, logs };
  }

  it('serves /metrics on TUGBOAT_METRICS_PORT only', async () => {
    const metricsPort = await freePort();
    const { running } = await start({ TUGBOAT_METRICS_PORT: String(metricsPort) });
    const main = `http://127.0.0.1:${running.port}`;
    const metrics = `http://127.0.0.1:${metricsPort}`;
    const scraped = await fetch(`${metrics}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('tugboat_http_requests_total');
    expect((await fetch(`${main}/metrics`)).status).toBe(404);
    expect((await fetch(`${main}/healthz`)).status).toBe(200);
    expect((await fetch(`${metrics}/healthz`)).status).toBe(404);
  });

  it('reads TUGBOAT_METRICS_PORT, refusing one equal to PORT', () => {
    const required = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', GITHUB_WEBHOOK_SECRET: 'w' };
    expect(readEnv({ ...required, TUGBOAT_METRICS_PORT: '9100' }).metricsPort).toBe(9100);
    expect(readEnv(required).metricsPort).toBeUndefined();
    expect(() => readEnv({ ...required, PORT: '9100', TUGBOAT_METRICS_PORT: '9100' })).toThrow(
      /TUGBOAT_METRICS_PORT must differ from PORT/,
    );
    expect(() => readEnv({ ...required, TUGBOAT_METRICS_PORT: 'ninety' })).toThrow(
      /TUGBOAT_METRICS_PORT must be a whole number/,
    );
  });

  it.runIf(postgresBackend)('scrubs the DATABASE_URL password from the logs, as written and decoded', async () => {
    const db = await postgresBackend!.open();
    cleanup.push(() => db.close());
    const url = new URL(db.url!);
    url.username = 'postgres';
    url.password = encodeURIComponent('pass@word-4711');
    const { running, logs } = await start({ DATABASE_URL: url.toString() });
    running.log.error(
      { err: new Error(`could not reach ${url}`), decoded: 'pass@word-4711', written: url.password },
      'database trouble',
    );
    const written = logs.raw.join('\n');
    expect(written).toContain('database trouble');
    expect(written).not.toContain('pass@word-4711');
    expect(written).not.toContain('pass%40word-4711');
  });
});

/** Sends `head`, then `body`, one byte every 20 ms, until the server closes the connection. */
function trickle(port: number, head: string, body = ''): Promise<{ received: string; sent: number; afterMs: number }> {
  const bytes = body ? head + body : head;
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const started = Date.now();
    let received = '';
    let sent = body ? head.length : 0;
    if (body) socket.write(head);
    const timer = setInterval(() => {
      if (sent < bytes.length && socket.writable) socket.write(bytes[sent++]);
    }, 20);
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ received, sent, afterMs: Date.now() - started });
    });
  });
}

function headerLines(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
}

async function sendWhole(url: string, bytes: number): Promise<number> {
  const response = await fetch(`${url}/github/webhooks`, {
    method: 'POST',
    headers: unsignedDelivery(),
    body: Buffer.alloc(bytes, 'x'),
  });
  return response.status;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
