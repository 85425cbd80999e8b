import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from '../../../src/fakes/http.ts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CALLBACK_PATH,
  type ExecutorContext,
  signWebhookBody,
  verifyCallback,
  webhookExecutor,
} from '../../../src/deploys/index.ts';
import { JOB } from './job.ts';

const SECRET = 'whsec-test-123';
const CALLBACK_URL = `https://tugboat.example.com${CALLBACK_PATH}`;

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  signatureValid: boolean;
}

type Handler = (request: Received, response: ServerResponse) => void;

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await closeServer(server);
});

/** A receiver on 127.0.0.1 that checks the signature independently of signWebhookBody. */
async function receiver(handler: Handler): Promise<{ url: string; host: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const timestamp = String(request.headers['x-tugboat-timestamp'] ?? '');
      const signature = String(request.headers['x-tugboat-signature-256'] ?? '');
      const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`;
      const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300;
      const signatureValid =
        fresh && signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
      const entry = { headers: request.headers, body, signatureValid };
      received.push(entry);
      handler(entry, response);
    });
  });
  servers.push(server);
  const origin = await listenOnLoopback(server);
  return { url: `${origin}/hooks/deploy?token=abc`, host: new URL(origin).host, received };
}

/** Answers 202 to a correctly signed request, 401 otherwise. */
const acceptSigned: Handler = (request, response) => {
  response.writeHead(request.signatureValid ? 202 : 401, { 'Content-Type': 'text/plain' });
  response.end(request.signatureValid ? 'queued' : 'bad signature');
};

function context(signal = new AbortController().signal): ExecutorContext {
  return { signal, progress: async () => undefined };
}

describe('webhook executor', () => {
  it('POSTs a signed JSON body and hands the deploy off when accepted', async () => {
    const { url, host, received } = await receiver(acceptSigned);
    const executor = webhookExecutor({ url, secret: SECRET, callbackUrl: CALLBACK_URL });

    const outcome = await executor.start(JOB, context());

    expect(outcome).toEqual({ kind: 'handed-off', detail: `accepted by ${host}` });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request.signatureValid).toBe(true);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('tugboat');
    expect(request.headers['x-tugboat-delivery']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(Number(request.headers['x-tugboat-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
    expect(JSON.parse(request.body)).toEqual({
      deploy_id: 42,
      service: 'api',
      environment: 'production',
      repo: 'acme/api',
      ref: 'main',
      sha: JOB.sha,
      requested_by: 'U0ALICE',
      rollback_of: null,
      callback_url: CALLBACK_URL,
    });
  });

  it('sends rollback_of and a fresh delivery id each time', async () => {
    const { url, received } = await receiver(acceptSigned);
    const executor = webhookExecutor({ url, secret: SECRET, callbackUrl: CALLBACK_URL });

    await executor.start({ ...JOB, id: 43, rollbackOf: 42 }, context());
    await executor.start({ ...JOB, id: 44 }, context());

    expect(JSON.parse(received[0].body)).toMatchObject({ deploy_id: 43, rollback_of: 42 });
    expect(received[0].headers['x-tugboat-delivery']).not.toBe(received[1].headers['x-tugboat-delivery']);
  });

  it('fails with the status and the start of the body on a non-2xx answer', async () => {
    const body = `deploy queue is full ${'x'.repeat(300)}TAIL`;
    const { url, host } = await receiver((_request, response) => {
      response.writeHead(500, { 'Content-Type': 'text/plain' });
      response.end(body);
    });

    const outcome = await webhookExecutor({ url, secret: SECRET, callbackUrl: CALLBACK_URL }).start(JOB, context());

    expect(outcome).toEqual({
      kind: 'finished',
      succeeded: false,
      reason: `${host} answered 500 Internal Server Error: ${body.slice(0, 200)}…`,
    });
  });

  it('is refused by a receiver checking the signature when the secret is wrong', async () => {
    const { url, host, received } = await receiver(acceptSigned);
    const outcome = await webhookExecutor({ url, secret: 'wrong', callbackUrl: CALLBACK_URL }).start(JOB, context());

    expect(received[0].signatureValid).toBe(false);
    expect(outcome).toEqual({
      kind: 'finished',
      succeeded: false,
      reason: `${host} answered 401 Unauthorized: bad signature`,
    });
  });

  it('does not follow redirects (a POST would become a GET)', async () => {
    const { url, host, received } = await receiver((_request, response) => {
      response.writeHead(302, { Location: 'https://elsewhere.example.com/hook' });
      response.end();
    });
    const outcome = await webhookExecutor({ url, secret: SECRET, callbackUrl: CALLBACK_URL }).start(JOB, context());

    expect(received).toHaveLength(1);
    expect(outcome).toMatchObject({
      succeeded: false,
      reason: `${host} answered 302 Found to https://elsewhere.example.com/hook; redirects are not followed, set deploy.url to the final address`,
    });
  });

  it('fails clearly when nothing listens on the port', async () => {
    const { url, host } = await receiver(acceptSigned);
    await closeServer(servers.pop()!);

    const outcome = await webhookExecutor({ url, secret: SECRET, callbackUrl: CALLBACK_URL }).start(JOB, context());

    expect(outcome).toEqual({
      kind: 'finished',
      succeeded: false,
      reason: `could not reach ${host}: connection refused (ECONNREFUSED)`,
    });
  });

  it('fails when the receiver does not answer in time', async () => {
    const { url, host } = await receiver(() => {
      // never answers
    });
    const started = Date.now();
    const outcome = await webhookExecutor({ url, secret: SECRET, callbackUrl: CALLBACK_URL, timeoutMs: 300 }).start(
      JOB,
      context(),
    );

    expect(outcome).toEqual({ kind: 'finished', succeeded: false, reason: `${host} did not answer within 300 ms` });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('stops when the context signal is aborted', async () => {
    const { url, received } = await receiver(() => {
      // never answers
    });
    const controller = new AbortController();
    const pending = webhookExecutor({ url, secret: SECRET, callbackUrl: CALLBACK_URL }).start(
      JOB,
      context(controller.signal),
    );
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort('shutting down');

    expect(await pending).toEqual({ kind: 'finished', succeeded: false, reason: 'stopped: shutting down' });
  });

  it('uses the injected fetch', async () => {
    const calls: Array<[string, RequestInit | undefined]> = [];
    const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      calls.push([String(input), init]);
      return new Response('ok', { status: 200 });
    }) as typeof fetch;
    const outcome = await webhookExecutor({
      url: 'https://ci.example.com/hooks/deploy',
      secret: SECRET,
      callbackUrl: CALLBACK_URL,
      fetch: fakeFetch,
    }).start(JOB, context());

    expect(outcome).toEqual({ kind: 'handed-off', detail: 'accepted by ci.example.com' });
    expect(calls).toHaveLength(1);
    expect(calls[0][1]?.method).toBe('POST');
  });

  it('refuses a non-http URL when built', () => {
    expect(() => webhookExecutor({ url: 'ftp://ci.example.com/x', secret: SECRET, callbackUrl: CALLBACK_URL })).toThrow(
      /ftp:/,
    );
  });

  it('round trip: a receiver reports back with the same signature scheme and tugboat accepts it', async () => {
    const { url, received } = await receiver(acceptSigned);
    await webhookExecutor({ url, secret: SECRET, callbackUrl: CALLBACK_URL }).start(JOB, context());
    const request = JSON.parse(received[0].body) as { deploy_id: number; callback_url: string };

    // What a receiver would POST to request.callback_url once the deploy is done.
    const rawBody = JSON.stringify({
      deploy_id: request.deploy_id,
      status: 'succeeded',
      log_url: 'https://ci.example.com/runs/9',
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const result = verifyCallback({
      secret: SECRET,
      rawBody,
      timestamp: String(timestamp),
      signature: signWebhookBody(SECRET, timestamp, rawBody),
    });

    expect(request.callback_url).toBe(CALLBACK_URL);
    expect(result).toEqual({
      ok: true,
      report: { deployId: 42, status: 'succeeded', logUrl: 'https://ci.example.com/runs/9' },
    });
  });
});

describe('signWebhookBody', () => {
  it('is sha256= + hex HMAC-SHA256 over "<timestamp>.<body>"', () => {
    const expected = createHmac('sha256', 'k').update('1700000000.{"a":1}').digest('hex');
    expect(signWebhookBody('k', 1700000000, '{"a":1}')).toBe(`sha256=${expected}`);
    expect(signWebhookBody('k', 1700000000, Buffer.from('{"a":1}'))).toBe(`sha256=${expected}`);
  });
});
