import type { Webhooks } from '@octokit/webhooks';
import type { WebClientOptions } from '@slack/web-api';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/index.ts';
import type { Deps } from './deps.ts';
import {
  deployCallbackHandler,
  Deployer,
  deployTimeoutMs,
  executorFor,
  type PostDeployChecks,
} from './deploys/index.ts';
import { GitHub } from './github/client.ts';
import { registerDeployWebhooks } from './github/handlers/deploys.ts';
import { registerReviewWebhooks, type ReviewWebhookOptions } from './github/handlers/reviews.ts';
import { createGitHubWebhooks } from './github/webhooks.ts';
import type { InboxOptions } from './github/inbox.ts';
import { inboxBacklog } from './github/deliveries.ts';
import { deliveryPruneJob } from './jobs/deliveries.ts';
import { outboxPruneJob } from './jobs/outbox.ts';
import { deploySweepJob } from './jobs/deploys.ts';
import { reviewThreadFlushJob } from './jobs/review-threads.ts';
import { reviewNudgeJob, reviewReconcileJob } from './jobs/reviews.ts';
import { SlackDeployNotifier, commitLinks } from './slack/deploy-notifier.ts';
import { refreshRoot } from './slack/review-threads.ts';
import { IncidentResponder, postDeployChecks } from './incidents/index.ts';
import { incidentArchiveJob, incidentSweepJob, incidentCatchUpJob } from './jobs/incidents.ts';
import { SlackIncidentNotifier } from './slack/incident-notifier.ts';
import { createSmokeMonitor, type SmokeMonitor, type SmokeRunnerDeps } from './smoke/index.ts';
import { smokeHeartbeatJob, smokePruneJob } from './jobs/smoke.ts';
import type { IntakeLimits } from './http/intake.ts';
import { createHttpServer, createMetricsServer } from './http/server.ts';
import { InFlight } from './in-flight.ts';
import { lockSweepJob } from './jobs/locks.ts';
import { startJobs, type Job } from './jobs/scheduler.ts';
import { countLiveLocks } from './locks/index.ts';
import type { Logger } from './log.ts';
import { createMetrics } from './metrics.ts';
import { createScrubber } from './secrets.ts';
import { createBolt, registerListeners } from './slack/bolt.ts';
import { outboxDepth } from './slack/outbox.ts';
import { DEFAULT_POSTER_OPTIONS, SlackPoster, type PosterOptions } from './slack/poster.ts';
import { withBodyReadFirst, withReplayWindow } from './slack/receiver-guard.ts';
import { migrationsApplied, type Store } from './store/index.ts';

export interface TugboatOptions {
  slack: { botToken: string; signingSecret: string; apiUrl: string; clientOptions?: Partial<WebClientOptions> };
  github: {
    webhookSecret: string;
    apiUrl: string;
    token?: string;
    app?: { appId: string; privateKey: string; installationId: string };
  };
  deploys: {
    /** Where `via: command` scripts run (the folder of tugboat.yml). */
    commandCwd: string;
    commandTimeoutMs?: number;
    /** How long SIGTERM waits for running `via: command` scripts before killing them (TUGBOAT_SHUTDOWN_GRACE). */
    shutdownGraceMs?: number;
    publicUrl?: string;
    webhookSecret?: string;
  };
  /** Secret values beyond the tokens above (the database password): with them, scrubbed from deploy output. */
  secrets?: string[];
  config: Config;
  store: Store;
  log: Logger;
  now?: () => Date;
  poster?: Partial<PosterOptions>;
  reviews?: ReviewWebhookOptions;
  /** The webhook inbox's lease, poll interval, concurrency and retries (src/github/inbox.ts); tests shorten them. */
  inbox?: Partial<InboxOptions>;
  smoke?: Pick<SmokeRunnerDeps, 'concurrency' | 'maxJitterMs' | 'dispatcher' | 'env'>;
  http?: {
    /** Body caps, the unverified-byte budget and timeouts (src/http/intake.ts); tests shrink them. */
    intake?: Partial<IntakeLimits>;
    /** When set, `/metrics` is served on this port only (TUGBOAT_METRICS_PORT). */
    metricsPort?: number;
  };
}

export interface Tugboat {
  server: http.Server;
  /** The server of `/metrics` alone, when `http.metricsPort` is set. */
  metricsServer?: http.Server;
  /** The infrastructure commands, listeners and jobs are built on. */
  deps: Deps;
  deployer: Deployer;
  incidents: IncidentResponder;
  webhooks: Webhooks;
  jobs: Job[];
  /** The smoke checks: started with the jobs; `runNow` runs an environment's checks at once. */
  smoke: SmokeMonitor;
  listen(port: number, host?: string): Promise<number>;
  /** Starts the scheduled jobs, the smoke checks and the inbox's polling (retries, deliveries of replicas that died). */
  startJobs(): void;
  setConfig(config: Config): void;
  /** Resolves when the work that outlives responses (commands after their ack, webhooks after 202) is done. */
  settle(timeoutMs?: number): Promise<void>;
  /** Stops accepting requests and the jobs, waits for running deploy scripts (up to the shutdown grace, then kills them) and other work in flight. The store stays open. */
  close(): Promise<void>;
}

/** A deploy script that runs longer than this is stopped and the deploy marked failed. */
const DEFAULT_COMMAND_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_SHUTDOWN_GRACE_MS = 10 * 60_000;

/** Wires the app together: one HTTP server, Bolt, GitHub webhooks, jobs. Migrations are the caller's. */
export function createTugboat(options: TugboatOptions): Tugboat {
  let config = options.config;
  const currentConfig = () => config;
  const { store, log } = options;
  const now = options.now ?? (() => new Date());
  const metrics = createMetrics({
    locksHeld: () => countLiveLocks(store, now()),
    webhookInbox: () => inboxBacklog(store),
    slackOutbox: () => outboxDepth(store),
  });
  const { app, receiver, client } = createBolt(options.slack, log);
  const slack = new SlackPoster(
    client,
    { log, metrics, store, config: currentConfig },
    { ...DEFAULT_POSTER_OPTIONS, ...options.poster },
  );
  const github = new GitHub({ ...options.github, now });
  const deps: Deps = { store, config: currentConfig, slack, now, log, metrics, github };
  const links = commitLinks(options.github.apiUrl);
  const inFlight = new InFlight();
  const scrub = createScrubber(secretsOf(options));
  const commandTimeoutMs = options.deploys.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const postDeploy = postDeployStandIn();
  const deployer = new Deployer({
    store,
    config: currentConfig,
    github,
    notifier: new SlackDeployNotifier({ slack, config: currentConfig, links, now, log }),
    executorFor: (service) =>
      executorFor(config.services[service], {
        github,
        commandCwd: options.deploys.commandCwd,
        commandTimeoutMs,
        scrub,
        publicUrl: options.deploys.publicUrl,
        webhookSecret: options.deploys.webhookSecret,
      }),
    timeoutOf: (service) => deployTimeoutMs(config.services[service], commandTimeoutMs),
    postDeploy,
    inFlight,
    now,
    log,
  });
  const incidentNotifier = new SlackIncidentNotifier({ store, slack, config: currentConfig, now, log, links });
  const incidents = new IncidentResponder({
    store,
    config: currentConfig,
    now,
    log,
    notifier: incidentNotifier,
    deployer,
  });
  const smoke = createSmokeMonitor({
    store,
    config: currentConfig,
    now,
    log,
    ...options.smoke,
    onResult: (result) => incidents.onResult(result),
    onTransition: (transition) => incidents.onTransition(transition),
  });
  postDeploy.connect(postDeployChecks(smoke, incidents));
  registerListeners(app, { ...deps, deployer, incidents, links }, inFlight);
  const webhooks = createGitHubWebhooks(options.github.webhookSecret, deps, inFlight, options.inbox);
  registerDeployWebhooks(webhooks.webhooks, { ...deps, deployer });
  registerReviewWebhooks(webhooks.webhooks, deps, options.reviews);

  let migrated = false;
  const ready = async () => {
    migrated ||= await migrationsApplied(store);
    if (migrated) await store.query('select 1');
    return migrated;
  };

  const { intake, metricsPort } = options.http ?? {};
  const server = createHttpServer(
    {
      slack: withReplayWindow(withBodyReadFirst((req, res) => receiver.requestListener(req, res))),
      github: webhooks.handler,
      deployCallback: deployCallbackHandler(options.deploys.webhookSecret, { store, deployer }),
      ready,
    },
    { log, metrics },
    { intake, metricsElsewhere: metricsPort !== undefined },
  );
  const metricsServer = metricsPort === undefined ? undefined : createMetricsServer({ log, metrics }, intake);
  const jobs = [
    lockSweepJob(deps),
    deploySweepJob(deployer),
    reviewThreadFlushJob(deps),
    reviewNudgeJob(deps),
    reviewReconcileJob(deps, (pr) => refreshRoot(deps, pr)),
    smokePruneJob(deps),
    deliveryPruneJob(deps),
    outboxPruneJob(deps),
    smokeHeartbeatJob(deps),
    incidentCatchUpJob(incidentNotifier),
    incidentSweepJob(incidents),
    incidentArchiveJob(incidents),
  ];
  let running: { stop(): Promise<void> } | undefined;

  return {
    server,
    metricsServer,
    deps,
    deployer,
    incidents,
    webhooks: webhooks.webhooks,
    jobs,
    smoke,
    async listen(port, host) {
      if (metricsServer) await listenOn(metricsServer, metricsPort!, host);
      return listenOn(server, port, host);
    },
    startJobs() {
      running ??= startJobs(jobs, deps);
      smoke.start();
      // Every replica handles deliveries: its own, retries, and those of replicas that died.
      webhooks.inbox.start();
    },
    setConfig(next) {
      config = next;
    },
    settle: (timeoutMs = 10_000) => inFlight.drain(timeoutMs),
    async close() {
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      webhooks.inbox.stop();
      await running?.stop();
      await smoke.stop();
      await deployer.shutdown(options.deploys.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
      await inFlight.drain(10_000);
      await slack.stop();
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * The wiring's one cycle: a finished deploy runs its post-deploy checks, whose incident may roll back
 * through the deployer. The deployer is handed this stand-in, connected once the checks exist.
 */
function postDeployStandIn(): PostDeployChecks & { connect(checks: PostDeployChecks): void } {
  let connected: PostDeployChecks | undefined;
  const checks = () => {
    if (!connected) throw new Error('post-deploy checks ran before they were connected');
    return connected;
  };
  return {
    connect(next) {
      connected = next;
    },
    run: (deploy) => checks().run(deploy),
    failed: (deploy) => checks().failed(deploy),
  };
}

function secretsOf({ slack, github, deploys, secrets = [] }: TugboatOptions): Array<string | undefined> {
  return [
    slack.botToken,
    slack.signingSecret,
    github.webhookSecret,
    github.token,
    github.app?.privateKey,
    deploys.webhookSecret,
    ...secrets,
  ];
}

function listenOn(server: http.Server, port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
