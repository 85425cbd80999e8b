import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface Routes {
  slack: Handler;
  github: Handler;
  deployCallback: Handler;
  ready: () => Promise<boolean>;
}

const KNOWN_ROUTES = ['/slack/events', '/github/webhooks', '/deploys/callback', '/healthz', '/readyz', '/metrics'];

/** The one HTTP server: Slack, GitHub, health, readiness and metrics, each request counted and timed. */
export function createHttpServer(routes: Routes, deps: { log: Logger; metrics: Metrics }): http.Server {
  const table: Record<string, Handler> = {
    '/slack/events': routes.slack,
    '/github/webhooks': routes.github,
    '/deploys/callback': routes.deployCallback,
    '/healthz': (_req, res) => send(res, 200, 'ok\n'),
    '/readyz': async (_req, res) => {
      const ready = await routes.ready().catch(() => false);
      send(res, ready ? 200 : 503, ready ? 'ready\n' : 'not ready: database unreachable or migrations pending\n');
    },
    '/metrics': async (_req, res) => {
      const body = await deps.metrics.registry.metrics();
      send(res, 200, body, deps.metrics.registry.contentType);
    },
  };

  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = KNOWN_ROUTES.includes(path) ? path : 'other';
    const stopTimer = deps.metrics.httpDuration.startTimer({ route });
    res.on('finish', () => {
      stopTimer();
      deps.metrics.httpRequests.inc({ route, method: req.method ?? '', status: String(res.statusCode) });
    });
    const handler = table[path];
    if (!handler) return send(res, 404, 'not found\n');
    Promise.resolve(handler(req, res)).catch((error) => {
      deps.log.error({ err: error, route }, 'request handler failed');
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.end();
    });
  });
}

export function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
}
