import type { SlackChannel } from '../../src/fakes/slack-api.ts';
import { TestClock } from '../helpers/clock.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import type { StoreBackend, TestDatabase } from '../helpers/stores.ts';
import { seedRepo } from '../helpers/deploys.ts';
import type { PosterOptions } from '../../src/slack/poster.ts';
import { startTestServer, type TestServer } from '../smoke/helpers.ts';

export const PEOPLE = ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0ONCALL', 'U0ADMIN'];

/**
 * `api` deploys to production by telling `service` which SHA it now serves, and is watched there
 * by the checks given (YAML list items).
 */
export function incidentConfig(
  service: VersionedService,
  checks: string,
  options: { onSmokeFailure?: 'ask' | 'rollback' | 'off'; canary?: string; productionDeployers?: string[] } = {},
): string {
  return `
admins: [U0ADMIN]
environments:
  staging:
    channel: C0STAGING
  production:
    aliases: [prod]
    channel: C0DEPLOYS
    on_smoke_failure: ${options.onSmokeFailure ?? 'ask'}
${options.productionDeployers ? `    deployers: [${options.productionDeployers.join(', ')}]\n` : ''}services:
  api:
    repo: acme/api
    environments: [staging, production]
    deploy:
      via: command
      run: ["node", "-e", "fetch(process.argv[1] + '?sha=' + process.env.TUGBOAT_SHA).then((r) => process.exit(r.ok ? 0 : 1))", "${service.origin}/deployed"]
    owners: [U0ALICE]
    logs: "https://logs.example.com/search?q=service:{service}%20env:{env}&from={from}&to={to}"
    smoke:
      production:
${checks}
incidents:
  failures_before_alert: 3
  passes_before_recovery: 2
  invite: [U0ONCALL]
${options.canary ? `  canary: ${options.canary}\n` : ''}`;
}

/** A check item for `incidentConfig`. */
export const check = (name: string, url: string, timeout = '1s') =>
  `        - name: ${name}\n          url: ${url}\n          timeout: ${timeout}\n`;

/**
 * The service as its users see it: a loopback server whose `/health` fails while the SHA it
 * serves is broken (or everything is down), and whose `/deployed?sha=` the deploy script calls.
 */
export interface VersionedService {
  server: TestServer;
  origin: string;
  serving?: string;
  broken: Set<string>;
  /** SHAs whose deploy fails (the deploy script exits 1). */
  undeployable: Set<string>;
  down: boolean;
}

export async function startVersionedService(): Promise<VersionedService> {
  const server = await startTestServer();
  const service: VersionedService = {
    server,
    origin: server.origin,
    broken: new Set(),
    undeployable: new Set(),
    down: false,
  };
  server.routes.set('/deployed', (req, res) => {
    const sha = new URL(req.url ?? '/', 'http://x').searchParams.get('sha') ?? '';
    if (service.undeployable.has(sha)) return void res.writeHead(500).end();
    service.serving = sha;
    res.writeHead(204).end();
  });
  server.routes.set('/health', (_req, res) => {
    const failing = service.down || (service.serving !== undefined && service.broken.has(service.serving));
    res.writeHead(failing ? 503 : 200).end(failing ? 'down' : 'ok');
  });
  return service;
}

export async function startIncidentHarness(options: {
  backend: StoreBackend;
  configYaml: string;
  db?: TestDatabase;
  clock?: TestClock;
  poster?: Partial<PosterOptions>;
}): Promise<Harness> {
  const h = await startHarness({ ...options, clock: options.clock ?? new TestClock(new Date('2026-11-22T10:00:00Z')) });
  for (const id of PEOPLE) h.slackApi.addUser({ id, name: id.slice(2).toLowerCase() });
  seedRepo(h, 'acme/api', ['v1', 'v2', 'v3']);
  return h;
}

/** Runs production's checks of `api` once, as one scheduled pass would, `times` times, a second apart on the test clock. */
export async function runChecks(h: Harness, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    await h.tugboat.smoke.runNow('api', 'production');
    h.clock.advance(1000);
  }
}

/** The channels tugboat created (every channel whose name starts with the incident prefix). */
export const incidentChannels = (h: Harness): SlackChannel[] =>
  h.slackApi.channels().filter((channel) => channel.name.startsWith('inc-'));

export { waitUntil } from '../helpers/wait.ts';
