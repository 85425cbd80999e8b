import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parseConfig, type Config } from '../src/config/index.ts';
import { FakeGitHubApi } from '../src/fakes/github-api.ts';
import { GitHubSender } from '../src/fakes/github-sender.ts';
import { closeServer, listenOnLoopback } from '../src/fakes/http.ts';
import { FakeSlackApi } from '../src/fakes/slack-api.ts';
import { SlackSender } from '../src/fakes/slack-client.ts';
import { ScratchPostgres } from './postgres.ts';
import { Replica, type UnexpectedExit } from './replicas.ts';

export const SECRETS = {
  botToken: 'xoxb-chaos-0123456789-abcdef',
  signingSecret: 'slack-signing-secret-for-chaos',
  webhookSecret: 'github-webhook-secret-for-chaos',
  githubToken: 'ghp_chaos-token-0123456789',
};

/** Every replica's `TUGBOAT_SHUTDOWN_GRACE`: the SIGTERM line waits this long, not the default 10 minutes. */
export const SHUTDOWN_GRACE = '5s';
/** `deploy.timeout` of the service whose deployments never report. */
export const NEVER_REPORTS_TIMEOUT = '10s';
/** How often the smoke check of the PostgreSQL line runs. */
export const SMOKE_EVERY_MS = 5_000;
/**
 * How long a line waits, once its faults are over, for every action it expects before counting
 * the rest as lost. A passing line stops waiting as soon as all are seen; the bound is generous
 * because the outbox backs off up to 60 s per channel and CI machines are busy.
 */
export const SETTLE_MS = 240_000;

/** Forty hex characters made from a short name, as GitHub shows a SHA. */
export const sha = (name: string) => Buffer.from(name).toString('hex').padEnd(40, '0').slice(0, 40);

/** How long the deploy script runs for each commit of acme/web. */
export const SCRIPT_SECONDS = { fast: 1, medium: 3, slow: 120 } as const;

const lockEnvs = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(2, '0')}`);
export const PG_LOCK_ENVS = lockEnvs('l', 8);
export const SLACK_LOCK_ENVS = lockEnvs('s', 6);
export const channelOf = (env: string) => `C0${env.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
export const REVIEW_CHANNEL = 'C0REVIEWS';

function configYaml(smokeUrl: string): string {
  const envs = [...PG_LOCK_ENVS, ...SLACK_LOCK_ENVS, 'gh', 'crash', 'drainok', 'drainslow', 'limbo', 'watch'];
  return `timezone: UTC
admins: [U0ADMIN]
environments:
${envs.map((env) => `  ${env}: { channel: ${channelOf(env)} }`).join('\n')}
services:
  api:
    repo: acme/api
    environments: [gh, ${[...PG_LOCK_ENVS, ...SLACK_LOCK_ENVS].join(', ')}]
    deploy: { via: github-deployment }
    review_channel: ${REVIEW_CHANNEL}
  ghost:
    repo: acme/ghost
    environments: [limbo]
    deploy: { via: github-deployment, timeout: ${NEVER_REPORTS_TIMEOUT} }
  web:
    repo: acme/web
    environments: [crash, drainok, drainslow]
    deploy: { via: command, run: ["./scripts/deploy.sh"] }
  probe:
    repo: acme/probe
    environments: [watch]
    deploy: { via: github-deployment }
    smoke:
      watch:
        - { name: ping, url: "${smokeUrl}", every: ${SMOKE_EVERY_MS / 1000}s, timeout: 2s }
people:
  octocat: U0ALICE
  bob: U0BOB
`;
}

/**
 * The deploy script of acme/web: it records each run (`runs/started.<id>`, `runs/finished.<id>`),
 * and `runs/overlap.<id>` when another script of the same service and environment was still alive
 * as it started; it runs for SCRIPT_SECONDS of its commit.
 */
function deployScript(): string {
  const cases = Object.entries(SCRIPT_SECONDS)
    .map(([name, seconds]) => `  ${sha(name)}) seconds=${seconds} ;;`)
    .join('\n');
  return `#!/bin/sh
key="runs/running.$TUGBOAT_SERVICE.$TUGBOAT_ENV"
echo $$ > "runs/started.$TUGBOAT_DEPLOY_ID"
if ! mkdir "$key" 2>/dev/null; then
  other=$(cat "$key/pid" 2>/dev/null)
  if [ -n "$other" ] && kill -0 "$other" 2>/dev/null; then echo "$other" > "runs/overlap.$TUGBOAT_DEPLOY_ID"; fi
fi
echo $$ > "$key/pid"
seconds=0
case "$TUGBOAT_SHA" in
${cases}
esac
sleep "$seconds" &
wait
rm -rf "$key"
echo done > "runs/finished.$TUGBOAT_DEPLOY_ID"
`;
}

/** A loopback server the smoke check calls: it records when each call came. */
async function smokeTarget(): Promise<{ server: Server; url: string; hits: number[] }> {
  const hits: number[] = [];
  const server = createServer((_req, res) => {
    hits.push(Date.now());
    res.writeHead(200).end('ok');
  });
  return { server, url: `${await listenOnLoopback(server)}/ping`, hits };
}

/**
 * What the suite runs against: a PostgreSQL cluster of its own, the Slack and GitHub fakes, and
 * two tugboat processes on the same database, each on its own port.
 */
export class World {
  readonly unexpectedExits: UnexpectedExit[] = [];
  readonly replicas: [Replica, Replica];
  #next = 0;
  #disruption: Promise<unknown> = Promise.resolve();
  #faults = 0;
  #calm: Array<() => void> = [];
  #db: pg.Pool;

  private constructor(
    readonly dir: string,
    readonly postgres: ScratchPostgres,
    readonly slackApi: FakeSlackApi,
    readonly githubApi: FakeGitHubApi,
    readonly smoke: { server: Server; url: string; hits: number[] },
    readonly config: Config,
  ) {
    const env = {
      DATABASE_URL: postgres.url,
      SLACK_BOT_TOKEN: SECRETS.botToken,
      SLACK_SIGNING_SECRET: SECRETS.signingSecret,
      SLACK_API_URL: slackApi.url,
      GITHUB_WEBHOOK_SECRET: SECRETS.webhookSecret,
      GITHUB_TOKEN: SECRETS.githubToken,
      GITHUB_API_URL: githubApi.url,
      TUGBOAT_CONFIG: path.join(dir, 'tugboat.yml'),
      TUGBOAT_SHUTDOWN_GRACE: SHUTDOWN_GRACE,
      LOG_LEVEL: 'info',
    };
    const onExit = (exit: UnexpectedExit) => this.unexpectedExits.push(exit);
    this.replicas = [new Replica('a', env, dir, onExit), new Replica('b', env, dir, onExit)];
    // The suite's own reads (deploy rows); errors while PostgreSQL restarts are retried by the reader.
    this.#db = new pg.Pool({ connectionString: postgres.url, max: 2 });
    this.#db.on('error', () => undefined);
  }

  static async start(): Promise<World> {
    const dir = await mkdtemp(path.join(tmpdir(), 'tugboat-chaos-'));
    await mkdir(path.join(dir, 'scripts'));
    await mkdir(path.join(dir, 'runs'));
    await writeFile(path.join(dir, 'scripts', 'deploy.sh'), deployScript());
    await chmod(path.join(dir, 'scripts', 'deploy.sh'), 0o755);
    const smoke = await smokeTarget();
    const yaml = configYaml(smoke.url);
    await writeFile(path.join(dir, 'tugboat.yml'), yaml);
    const config = parseConfig(yaml, 'tugboat.yml');
    const postgres = await ScratchPostgres.start();
    const slackApi = await FakeSlackApi.start({ token: SECRETS.botToken });
    const githubApi = await FakeGitHubApi.start();
    const world = new World(dir, postgres, slackApi, githubApi, smoke, config);
    world.#seed();
    for (const replica of world.replicas) await replica.start();
    return world;
  }

  #seed(): void {
    const channels = [...Object.values(this.config.environments).map((env) => env.channel), REVIEW_CHANNEL];
    for (const id of new Set(channels)) this.slackApi.addChannel({ id, name: id.toLowerCase() });
    for (const repo of ['acme/api', 'acme/ghost', 'acme/probe', 'acme/web']) {
      this.githubApi.addRepo(repo, { defaultBranch: 'main' });
      for (const name of Object.keys(SCRIPT_SECONDS)) this.githubApi.addCommit(repo, { sha: sha(name), message: name });
      this.githubApi.setBranch(repo, 'main', sha('fast'));
    }
    for (const login of ['octocat', 'bob']) this.githubApi.addUser({ login });
  }

  /** A replica that is up, taking turns; waits while both are restarting. */
  async live(): Promise<Replica> {
    for (let tries = 0; tries < 600; tries++) {
      for (let i = 0; i < this.replicas.length; i++) {
        const replica = this.replicas[this.#next++ % this.replicas.length];
        if (replica.up) return replica;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('no replica has been up for a minute');
  }

  /** Declares a fault under way; call the function returned once it has ended. */
  fault(): () => void {
    this.#faults += 1;
    return () => {
      this.#faults -= 1;
      if (this.#faults === 0) for (const resolve of this.#calm.splice(0)) resolve();
    };
  }

  /** Resolves once no declared fault is under way (their effects may still be settling). */
  calm(): Promise<void> {
    return this.#faults === 0 ? Promise.resolve() : new Promise((resolve) => this.#calm.push(resolve));
  }

  /**
   * Runs a disruption of a replica (a kill, a SIGTERM) once every earlier one is over and both
   * replicas are up, so the suite always has a replica serving, as a rolling update would.
   */
  exclusively<T>(disrupt: () => Promise<T>): Promise<T> {
    const turn = this.#disruption.then(async () => {
      while (!this.replicas.every((replica) => replica.up)) await new Promise((resolve) => setTimeout(resolve, 100));
      return disrupt();
    });
    this.#disruption = turn.catch(() => undefined);
    return turn;
  }

  slack(replica: Replica): SlackSender {
    return new SlackSender({
      appUrl: `${replica.url}/slack/events`,
      signingSecret: SECRETS.signingSecret,
      api: this.slackApi,
    });
  }

  github(replica: Replica): GitHubSender {
    return new GitHubSender({ appUrl: `${replica.url}/github/webhooks`, secret: SECRETS.webhookSecret });
  }

  /** A query of the suite's own, tried again while PostgreSQL is restarting. */
  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    for (let tries = 0; ; tries++) {
      try {
        return (await this.#db.query(sql, params)).rows as T[];
      } catch (error) {
        if (tries > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /** The deploy script's records in `runs/`: started, finished and overlap files by deploy id. */
  async scriptRuns(): Promise<{ started: Map<number, number>; finished: Set<number>; overlaps: Set<number> }> {
    const started = new Map<number, number>();
    const finished = new Set<number>();
    const overlaps = new Set<number>();
    for (const file of await readdir(path.join(this.dir, 'runs'))) {
      const [kind, id] = file.split('.');
      if (kind === 'started')
        started.set(Number(id), Number(await readFile(path.join(this.dir, 'runs', file), 'utf8')));
      if (kind === 'finished') finished.add(Number(id));
      if (kind === 'overlap') overlaps.add(Number(id));
    }
    return { started, finished, overlaps };
  }

  /** Stops everything and removes the cluster; the folder (replica logs, script records) stays when `keepDir`. */
  async close({ keepDir = false } = {}): Promise<void> {
    for (const replica of this.replicas) await replica.kill();
    await this.#db.end().catch(() => undefined);
    await this.slackApi.close();
    await this.githubApi.close();
    await closeServer(this.smoke.server);
    await this.postgres.remove();
    if (!keepDir) await rm(this.dir, { recursive: true, force: true });
  }
}
