import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

/** One registry per app instance (tests run several side by side). */
export function createMetrics(sources: {
  locksHeld: () => Promise<number>;
  webhookInbox: () => Promise<{ depth: number; oldestAgeSeconds: number }>;
  slackOutbox: () => Promise<{ pending: number; oldestSeconds: number }>;
}) {
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
    slackGivenUp: new Counter({
      name: 'tugboat_slack_outbox_given_up_total',
      help: 'Messages tugboat gave up sending to Slack, by method and Slack error (channel_not_found, not_in_channel, is_archived, …)',
      labelNames: ['method', 'error'] as const,
      registers: [registry],
    }),
    slackOutboxPending: new Gauge({
      name: 'tugboat_slack_outbox_pending',
      help: 'Messages written and not yet sent to Slack',
      registers: [registry],
      async collect() {
        this.set((await sources.slackOutbox()).pending);
      },
    }),
    slackOutboxOldest: new Gauge({
      name: 'tugboat_slack_outbox_oldest_seconds',
      help: 'Age of the oldest message not yet sent to Slack (0 when none)',
      registers: [registry],
      async collect() {
        this.set((await sources.slackOutbox()).oldestSeconds);
      },
    }),
    webhookDeliveries: new Counter({
      name: 'tugboat_github_deliveries_total',
      help: 'GitHub webhook deliveries by event and outcome (accepted, duplicate, rejected; then handled, retried, or failed for good)',
      labelNames: ['event', 'outcome'] as const,
      registers: [registry],
    }),
    webhookInboxDepth: new Gauge({
      name: 'tugboat_webhook_inbox_depth',
      help: 'GitHub deliveries stored and not yet handled (waiting, being handled, or waiting to be retried)',
      registers: [registry],
      async collect() {
        this.set((await sources.webhookInbox()).depth);
      },
    }),
    webhookInboxOldestAge: new Gauge({
      name: 'tugboat_webhook_inbox_oldest_age_seconds',
      help: 'How long the oldest GitHub delivery not yet handled has been in the inbox (0 when empty)',
      registers: [registry],
      async collect() {
        this.set((await sources.webhookInbox()).oldestAgeSeconds);
      },
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
