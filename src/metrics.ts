import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

/** One registry per app instance (tests run several side by side). */
export function createMetrics(sources: { locksHeld: () => Promise<number> }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tugboat_process_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'tugboat_http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'tugboat_http_request_duration_seconds',
      help: 'HTTP request latency by route (until the response is written)',
      labelNames: ['route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    slackCalls: new Counter({
      name: 'tugboat_slack_api_calls_total',
      help: 'Slack Web API calls by method and outcome (ok, error, rate_limited)',
      labelNames: ['method', 'outcome'] as const,
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'tugboat_github_deliveries_total',
      help: 'GitHub webhook deliveries by event and outcome (accepted, duplicate, rejected, failed)',
      labelNames: ['event', 'outcome'] as const,
      registers: [registry],
    }),
    locksHeld: new Gauge({
      name: 'tugboat_locks_held',
      help: 'Locks currently held',
      registers: [registry],
      async collect() {
        this.set(await sources.locksHeld());
      },
    }),
  };
}
