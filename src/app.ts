import type { Webhooks } from '@octokit/webhooks';
import type { WebClientOptions } from '@slack/web-api';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/index.ts';
import type { Deps } from './deps.ts';
import { createGitHubWebhooks } from './github/webhooks.ts';
import { createHttpServer } from './http/server.ts';
import { InFlight } from './in-flight.ts';
import { lockSweepJob } from './jobs/locks.ts';
import { startJobs, type Job } from './jobs/scheduler.ts';
import { listLocks } from './locks/index.ts';
import type { Logger } from './log.ts';
import { createMetrics } from './metrics.ts';
import { createBolt, registerListeners } from './slack/bolt.ts';
import { DEFAULT_POSTER_OPTIONS, SlackPoster, type PosterOptions } from './slack/poster.ts';
import { withReplayWindow } from './slack/receiver-guard.ts';
import { migrationsApplied, type Store } from './store/index.ts';

export interface TugboatOptions {
  slack: { botToken: string; signingSecret: string; apiUrl: string; clientOptions?: Partial<WebClientOptions> };
  github: { webhookSecret: string };
  config: Config;
  store: Store;
  log: Logger;
  now?: () => Date;
  poster?: Partial<PosterOptions>;
}

export interface Tugboat {
  server: http.Server;
  deps: Deps;
  webhooks: Webhooks;
  jobs: Job[];
  listen(port: number, host?: string): Promise<number>;
  startJobs(): void;
  setConfig(config: Config): void;
  /** Resolves when the work that outlives responses (commands after their ack, webhooks after 202) is done. */
  settle(timeoutMs?: number): Promise<void>;
  /** Stops accepting requests, waits for work in flight, stops the jobs. The store stays open. */
  close(): Promise<void>;
}

/** Wires the app together: one HTTP server, Bolt, GitHub webhooks, jobs. Migrations are the caller's. */
export function createTugboat(options: TugboatOptions): Tugboat {
  let config = options.config;
  const { store, log } = options;
  const metrics = createMetrics({ locksHeld: async () => (await listLocks(store, deps.now())).length });
  const { app, receiver } = createBolt(options.slack, log);
  const deps: Deps = {
    store,
    config: () => config,
    slack: new SlackPoster(app.client, { log, metrics }, { ...DEFAULT_POSTER_OPTIONS, ...options.poster }),
    now: options.now ?? (() => new Date()),
    log,
    metrics,
  };
  const inFlight = new InFlight();
  registerListeners(app, deps, inFlight);
  const github = createGitHubWebhooks(options.github.webhookSecret, deps, inFlight);

  let migrated = false;
  const ready = async () => {
    migrated ||= await migrationsApplied(store);
    if (migrated) await store.query('select 1');
    return migrated;
  };

  const server = createHttpServer(
    { slack: withReplayWindow((req, res) => receiver.requestListener(req, res)), github: github.handler, ready },
    { log, metrics },
  );
  const jobs = [lockSweepJob(deps)];
  let running: { stop(): Promise<void> } | undefined;

  return {
    server,
    deps,
    webhooks: github.webhooks,
    jobs,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      }),
    startJobs() {
      running ??= startJobs(jobs, deps);
    },
    setConfig(next) {
      config = next;
    },
    settle: (timeoutMs = 10_000) => inFlight.drain(timeoutMs),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await running?.stop();
      await inFlight.drain(10_000);
      server.closeAllConnections();
      await closed;
    },
  };
}
