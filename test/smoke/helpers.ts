import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from '../../src/fakes/http.ts';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig, type Config } from '../../src/config/index.ts';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** `performance.now()` when the request arrived. */
  at: number;
}

export type Route = (req: IncomingMessage, res: ServerResponse) => void;

/** A real HTTP server on loopback whose answers tests set, and that remembers what it was asked. */
export interface TestServer {
  origin: string;
  seen: Seen[];
  routes: Map<string, Route>;
  /** The most requests it was answering at once. */
  maxInFlight: number;
  answer(path: string, status: number, body?: string, delayMs?: number, headers?: Record<string, string>): void;
  /** Forgets routes and requests. */
  reset(): void;
  close(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  let inFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      state.seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: performance.now(),
      });
      const route = state.routes.get(new URL(req.url ?? '/', 'http://x').pathname);
      if (route) route(req, res);
      else res.writeHead(404).end('no such route');
    });
  });
  const state: TestServer = {
    origin: await listenOnLoopback(server),
    seen: [],
    routes: new Map(),
    maxInFlight: 0,
    answer(path, status, body = '', delayMs = 0, headers = {}) {
      state.routes.set(path, (_req, res) => {
        setTimeout(() => res.writeHead(status, headers).end(body), delayMs);
      });
    },
    reset() {
      state.routes.clear();
      state.seen.length = 0;
      state.maxInFlight = 0;
    },
    close: () => closeServer(server),
  };
  return state;
}

/** For a test file: one loopback server and one undici agent, reset after each test, closed after all. */
export function useTestServer(): { readonly server: TestServer; readonly agent: Agent } {
  const shared = {} as { server: TestServer; agent: Agent };
  beforeAll(async () => {
    shared.server = await startTestServer();
    shared.agent = new Agent();
  });
  afterEach(() => shared.server.reset());
  afterAll(async () => {
    await shared.agent.close();
    await shared.server.close();
  });
  return shared;
}

/** A valid config whose service `api` deploys to staging, with these smoke checks and incidents settings. */
export function smokeConfig(checks: Array<Record<string, unknown>>, incidents: Record<string, unknown> = {}): Config {
  const document = {
    environments: { staging: { channel: 'C0STAGING' } },
    services: {
      api: {
        repo: 'acme/api',
        environments: ['staging'],
        deploy: { via: 'github-deployment' },
        smoke: { staging: checks },
      },
    },
    incidents,
  };
  return parseConfig(stringify(document), 'tugboat.yml');
}
