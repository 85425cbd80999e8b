import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { isDatabaseUnavailable } from '../store/index.ts';
import { admit, BodyTooLargeError, ClientGoneError, IntakeRefusal, readBody } from './body.ts';
import { createIntakeBudget, DEFAULT_INTAKE_LIMITS, type IntakeBudget, type IntakeLimits } from './intake.ts';

/** The request body, read on the first call only, under the route's limit and the intake budget. */
export type ReadBody = () => Promise<Buffer>;

export type Handler = (req: IncomingMessage, res: ServerResponse, body: ReadBody) => void | Promise<void>;

export interface Routes {
  slack: Handler;
  github: Handler;
  deployCallback: Handler;
  ready: () => Promise<boolean>;
}

export interface HttpOptions {
  intake?: Partial<IntakeLimits>;
  /** `/metrics` has a server of its own (TUGBOAT_METRICS_PORT) and answers 404 here. */
  metricsElsewhere?: boolean;
}

interface Route {
  handle: Handler;
  /** Routes without a limit take no body: theirs is never read. */
  bodyLimitBytes?: number;
}

type ServerDeps = { log: Logger; metrics: Metrics };

const NO_BODY: ReadBody = () => Promise.reject(new BodyTooLargeError(0));

/** The one HTTP server: Slack, GitHub, deploy callbacks, health, readiness and metrics, each request counted and timed. */
export function createHttpServer(routes: Routes, deps: ServerDeps, options: HttpOptions = {}): http.Server {
  const limits = { ...DEFAULT_INTAKE_LIMITS, ...options.intake };
  const table: Record<string, Route> = {
    '/slack/events': { handle: routes.slack, bodyLimitBytes: limits.slackBytes },
    '/github/webhooks': { handle: routes.github, bodyLimitBytes: limits.githubBytes },
    '/deploys/callback': { handle: routes.deployCallback, bodyLimitBytes: limits.deployCallbackBytes },
    '/healthz': { handle: (_req, res) => send(res, 200, 'ok\n') },
    '/readyz': {
      handle: async (_req, res) => {
        const ready = await routes.ready().catch(() => false);
        send(res, ready ? 200 : 503, ready ? 'ready\n' : 'not ready: database unreachable or migrations pending\n');
      },
    },
    ...(options.metricsElsewhere ? {} : metricsRoute(deps.metrics)),
  };
  return serve(table, deps, limits);
}

/** `/metrics` alone, for a port that need not face the internet. */
export function createMetricsServer(deps: ServerDeps, intake: Partial<IntakeLimits> = {}): http.Server {
  return serve(metricsRoute(deps.metrics), deps, { ...DEFAULT_INTAKE_LIMITS, ...intake });
}

function metricsRoute(metrics: Metrics): Record<string, Route> {
  return {
    '/metrics': {
      handle: async (_req, res) => send(res, 200, await metrics.registry.metrics(), metrics.registry.contentType),
    },
  };
}

function serve(table: Record<string, Route>, deps: ServerDeps, limits: IntakeLimits): http.Server {
  const budget = createIntakeBudget(limits);
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    },
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const routeLabel = path in table ? path : 'other';
      const stopTimer = deps.metrics.httpDuration.startTimer({ route: routeLabel });
      res.on('finish', () => {
        stopTimer();
        deps.metrics.httpRequests.inc({ route: routeLabel, method: req.method ?? '', status: String(res.statusCode) });
      });
      const route = table[path];
      if (!route) {
        // Whatever body came with it stays unread: the connection closes after the answer.
        res.setHeader('connection', 'close');
        return send(res, 404, 'not found\n');
      }
      let body = NO_BODY;
      try {
        if (route.bodyLimitBytes !== undefined) body = bodyReader(req, res, route.bodyLimitBytes, budget);
      } catch (error) {
        return answerFailure(res, error, routeLabel, deps.log);
      }
      Promise.resolve(route.handle(req, res, body)).catch((error) => answerFailure(res, error, routeLabel, deps.log));
    },
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  return server;
}

function bodyReader(req: IncomingMessage, res: ServerResponse, limitBytes: number, budget: IntakeBudget): ReadBody {
  const reservation = admit(req, limitBytes, budget);
  res.once('close', () => reservation.release());
  let read: Promise<Buffer> | undefined;
  return () => (read ??= readBody(req, limitBytes, reservation));
}

function answerFailure(res: ServerResponse, error: unknown, route: string, log: Logger): void {
  if (error instanceof ClientGoneError) {
    log.debug({ route }, error.message);
    return void res.destroy();
  }
  if (error instanceof IntakeRefusal) {
    log.debug({ route, status: error.status }, `request refused: ${error.message}`);
    if (!res.headersSent) return refuse(res, error);
  } else if (isDatabaseUnavailable(error)) {
    // 503 and nothing recorded: GitHub shows the delivery failed and Redeliver works; receivers retry.
    log.warn({ err: error, route }, 'database unreachable; answered 503');
    if (!res.headersSent) return send(res, 503, 'tugboat cannot reach its database, nothing was done, try again\n');
  } else {
    log.error({ err: error, route }, 'request handler failed');
    if (!res.headersSent) return send(res, 500, 'internal error\n');
  }
  res.end();
}

/** The unread rest of the body is not pulled off the wire: the connection closes after the answer. */
function refuse(res: ServerResponse, refusal: IntakeRefusal): void {
  res.setHeader('connection', 'close');
  if (refusal.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(refusal.retryAfterSeconds));
  send(res, refusal.status, `${refusal.message}\n`);
}

export function send(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
}
