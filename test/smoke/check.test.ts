import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SmokeCheck } from '../../src/config/index.ts';
import { freePort } from '../../src/fakes/http.ts';
import { runCheck } from '../../src/smoke/index.ts';
import { startTestServer, type Route, type TestServer } from './helpers.ts';

let server: TestServer;
let origin: string;
let agent: Agent;
let routes: Map<string, Route>;
let seen: TestServer['seen'];

beforeAll(async () => {
  server = await startTestServer();
  ({ origin, routes, seen } = server);
  agent = new Agent();
});

afterEach(() => server.reset());

afterAll(async () => {
  await agent.close();
  await server.close();
});

const answer: TestServer['answer'] = (...args) => server.answer(...args);

function check(fields: Partial<SmokeCheck> & { url?: string }): SmokeCheck {
  return { name: 'health', method: 'GET', expect: {}, every: 60_000, timeout: 5_000, ...fields };
}

const run = (smoke: SmokeCheck, env: NodeJS.ProcessEnv = {}) => runCheck(smoke, { dispatcher: agent, env });

describe('runCheck', () => {
  it('passes when status, body and latency are as expected', async () => {
    answer('/healthz', 200, '{"status":"ok"}');
    const startedAt = new Date('2026-01-02T03:04:05Z');
    const result = await runCheck(
      check({ url: `${origin}/healthz`, expect: { status: 200, body_contains: 'ok', max_ms: 2_000 } }),
      { dispatcher: agent, env: {}, now: () => startedAt },
    );
    expect(result).toEqual({ name: 'health', ok: true, status: 200, latencyMs: expect.any(Number), startedAt });
    expect(result.latencyMs).toBeLessThan(2_000);
    expect(seen).toMatchObject([{ method: 'GET', url: '/healthz', headers: { 'user-agent': 'tugboat-smoke' } }]);
  });

  it('passes any 2xx when no status is expected, and fails anything else', async () => {
    answer('/empty', 204);
    answer('/broken', 500, 'oops');
    expect(await run(check({ url: `${origin}/empty` }))).toMatchObject({ ok: true, status: 204 });
    expect(await run(check({ url: `${origin}/broken` }))).toMatchObject({
      ok: false,
      status: 500,
      error: 'expected a 2xx status, got 500',
    });
  });

  it('fails on a wrong status', async () => {
    answer('/healthz', 503, 'ok');
    const result = await run(check({ url: `${origin}/healthz`, expect: { status: 200, body_contains: 'ok' } }));
    expect(result).toMatchObject({ ok: false, status: 503, error: 'expected status 200, got 503' });
  });

  it('says where a redirect goes instead of following it', async () => {
    answer('/old', 301, '', 0, { location: '/new' });
    const result = await run(check({ url: `${origin}/old` }));
    expect(result.error).toBe('expected a 2xx status, got 301 (a redirect to /new, not followed)');
  });

  it('accepts any status of a list', async () => {
    answer('/created', 204);
    answer('/down', 503);
    const expectList = { status: [200, 204] };
    expect(await run(check({ url: `${origin}/created`, expect: expectList }))).toMatchObject({ ok: true, status: 204 });
    expect(await run(check({ url: `${origin}/down`, expect: expectList }))).toMatchObject({
      ok: false,
      error: 'expected status 200 or 204, got 503',
    });
  });

  it('fails when the body does not contain the expected text', async () => {
    answer('/healthz', 200, 'degraded');
    const result = await run(check({ url: `${origin}/healthz`, expect: { body_contains: 'ok' } }));
    expect(result).toMatchObject({ ok: false, status: 200, error: 'body does not contain "ok"' });
  });

  it('reads at most 1 MB of the body', async () => {
    routes.set('/huge', (_req, res) => {
      res.writeHead(200);
      res.write('a'.repeat(1024 * 1024));
      res.end('ok');
    });
    const result = await run(check({ url: `${origin}/huge`, expect: { body_contains: 'ok' } }));
    expect(result).toMatchObject({ ok: false, status: 200, error: 'the first 1 MB of the body does not contain "ok"' });
  });

  it('fails when slower than max_ms, giving both numbers', async () => {
    answer('/slow', 200, 'ok', 300);
    const result = await run(check({ url: `${origin}/slow`, expect: { max_ms: 100 } }));
    expect(result.ok).toBe(false);
    const took = Number(/^took (\d+) ms, over the 100 ms limit$/.exec(result.error ?? '')?.[1]);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBe(result.latencyMs);
  });

  it('reports the first failing assertion: status before body and latency', async () => {
    answer('/slow-error', 500, 'nope', 200);
    const result = await run(
      check({ url: `${origin}/slow-error`, expect: { status: 200, body_contains: 'ok', max_ms: 50 } }),
    );
    expect(result.error).toBe('expected status 200, got 500');
  });

  it('times out when the server never answers, at the timeout and not later', async () => {
    routes.set('/hang', () => {}); // never answers
    const began = performance.now();
    const result = await run(check({ url: `${origin}/hang`, timeout: 1_000 }));
    const waited = performance.now() - began;
    expect(result).toMatchObject({ ok: false, error: 'timed out after 1s' });
    expect(result).not.toHaveProperty('status');
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(waited).toBeLessThan(1_500);
    expect(result.latencyMs).toBeGreaterThanOrEqual(950);
  });

  it('counts reading the body against the timeout', async () => {
    routes.set('/trickle', (_req, res) => {
      res.writeHead(200);
      res.write('part of a body'); // and never the rest
    });
    const began = performance.now();
    const result = await run(check({ url: `${origin}/trickle`, timeout: 400 }));
    const waited = performance.now() - began;
    expect(result).toMatchObject({ ok: false, status: 200, error: 'timed out after 400 ms while reading the body' });
    expect(waited).toBeGreaterThanOrEqual(380);
    expect(waited).toBeLessThan(900);
  });

  it('reports a refused connection', async () => {
    const port = await freePort();
    const result = await run(check({ url: `http://127.0.0.1:${port}/healthz` }));
    expect(result).toMatchObject({ ok: false, error: 'connection refused (ECONNREFUSED)' });
    expect(result).not.toHaveProperty('status');
  });

  it('reports a failed DNS lookup with the host name', async () => {
    const noDns = new Agent({
      connect: {
        lookup: (hostname, _options, callback) => {
          const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
          callback(error, '', 4);
        },
      },
    });
    try {
      const result = await runCheck(check({ url: 'https://api.example.com/healthz' }), { dispatcher: noDns });
      expect(result).toMatchObject({ ok: false, error: 'DNS lookup failed for api.example.com (ENOTFOUND)' });
    } finally {
      await noDns.close();
    }
  });

  it('fills ${VARIABLES} in the url and header values from the environment', async () => {
    answer('/tenants/acme/healthz', 200, 'ok');
    const result = await run(
      check({
        url: `${origin}/tenants/\${TENANT}/healthz?key=\${API_KEY}`,
        headers: { Authorization: 'Bearer ${API_TOKEN}', 'X-Plain': 'as is' },
      }),
      { TENANT: 'acme', API_KEY: 'k-123', API_TOKEN: 's3cret' },
    );
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(seen).toMatchObject([
      { url: '/tenants/acme/healthz?key=k-123', headers: { authorization: 'Bearer s3cret', 'x-plain': 'as is' } },
    ]);
  });

  it('fails without a request when a variable is unset or empty', async () => {
    answer('/healthz', 200, 'ok');
    const headers = { Authorization: 'Bearer ${API_TOKEN}' };
    expect(await run(check({ url: `${origin}/healthz`, headers }))).toEqual({
      name: 'health',
      ok: false,
      latencyMs: expect.any(Number),
      error: 'environment variable API_TOKEN is not set (used in header Authorization)',
      startedAt: expect.any(Date),
    });
    expect(await run(check({ url: `${origin}/\${PATH_PART}` }), { PATH_PART: '' })).toMatchObject({
      ok: false,
      error: 'environment variable PATH_PART is empty (used in the url)',
    });
    expect(seen).toEqual([]);
  });

  it('sends a map body as JSON and a string body as it is', async () => {
    answer('/login', 200, 'ok');
    await run(check({ url: `${origin}/login`, method: 'POST', body: { user: 'smoke', remember: true } }));
    await run(check({ url: `${origin}/login`, method: 'PUT', body: 'a=1', headers: { 'Content-Type': 'text/plain' } }));
    expect(seen).toMatchObject([
      { method: 'POST', body: '{"user":"smoke","remember":true}', headers: { 'content-type': 'application/json' } },
      { method: 'PUT', body: 'a=1', headers: { 'content-type': 'text/plain' } },
    ]);
  });

  describe('expect.json', () => {
    const document = JSON.stringify({ status: 'ok', data: { items: [{ id: 42, tags: ['a', 'b'] }] } });

    it('passes when every dotted path has its value', async () => {
      answer('/api', 200, document);
      const json = { status: 'ok', 'data.items.0.id': 42, 'data.items.0.tags': ['a', 'b'] };
      expect(await run(check({ url: `${origin}/api`, expect: { json } }))).toMatchObject({ ok: true });
    });

    it('names the path, the expected and the actual value', async () => {
      answer('/api', 200, document);
      expect(await run(check({ url: `${origin}/api`, expect: { json: { 'data.items.0.id': 41 } } }))).toMatchObject({
        ok: false,
        error: 'expected data.items.0.id to be 41, got 42',
      });
      expect(await run(check({ url: `${origin}/api`, expect: { json: { 'data.items.1.id': 42 } } }))).toMatchObject({
        ok: false,
        error: 'JSON body has nothing at data.items.1.id',
      });
    });

    it('fails on a body that is not JSON', async () => {
      answer('/html', 200, '<html>ok</html>');
      expect(await run(check({ url: `${origin}/html`, expect: { json: { status: 'ok' } } }))).toMatchObject({
        ok: false,
        error: 'body is not valid JSON',
      });
    });
  });
});
