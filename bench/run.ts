/**
 * `npm run bench`: figures for the goals in the issues, each against a baseline measured in
 * the same run. Needs a PostgreSQL server (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/test); each run works in a schema of its own.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeSlackApi } from '../src/fakes/slack-api.ts';
import { FakeGitHubApi } from '../src/fakes/github-api.ts';
import { githubSignature, githubWebhookHeaders, slackSignature } from '../src/fakes/signing.ts';
import { webhookExample } from '../src/fakes/webhook-examples.ts';
import { closeServer, freePort, listenOnLoopback } from '../src/fakes/http.ts';
import { benchReviews, reviewChannel, reviewReport, REVIEW_CHANNELS, REVIEW_PEOPLE_YAML } from './reviews.ts';
import { withSchema } from './schema.ts';
import { benchIntake, intakeReport } from './intake.ts';
import { benchSmoke, smokeReport } from './smoke.ts';
import { benchGitHubBudget, githubBudgetReport } from './github-budget.ts';
import { benchFootprint, footprintReport } from './footprint.ts';

const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECRETS = {
  botToken: 'xoxb-bench',
  signingSecret: 'bench-signing-secret',
  webhookSecret: 'bench-webhook-secret',
};
/** Services svc0…svc49, each with an environment (and channel) of its own, so 50 deploys can run at once. */
const PARALLEL_DEPLOYS = 50;
const DEPLOY_ROUNDS = 6;
const CONFIG = `
admins: [U0ADMIN]
environments:
  staging: { channel: C0STAGING }
  production: { aliases: [prod], channel: C0DEPLOYS }
${Array.from({ length: PARALLEL_DEPLOYS }, (_, i) => `  env${i}: { channel: C0ENV${i} }`).join('\n')}
services:
  api: { repo: acme/api, environments: [staging, production], deploy: { via: github-deployment } }
  web: { repo: acme/web, environments: [staging, production], deploy: { via: github-deployment } }
${Array.from({ length: PARALLEL_DEPLOYS }, (_, i) => `  svc${i}: { repo: acme/svc${i}, environments: [env${i}], deploy: { via: github-deployment }${i < REVIEW_CHANNELS ? `, review_channel: ${reviewChannel(i)}` : ''} }`).join('\n')}
${REVIEW_PEOPLE_YAML}
`;

/**
 * Runs a server in a process of its own, as in production, so the load generator and the
 * Slack fake in this process do not share its event loop. Resolves once `readyPath` answers.
 */
async function startProcess(
  script: string,
  env: Record<string, string | undefined>,
  readyPath: string,
  requireOk = true,
) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  // PGlite's first start (initdb, migrations) takes a while on a busy machine.
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(url + readyPath).then(
      (r) => r.ok || !requireOk,
      () => false,
    );
    if (ok) return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`${script} did not start`);
}

const children: ChildProcess[] = [];

/** Where the app's ephemeral answers go during the ack benchmark: Slack's response_url accepts 5 uses, this accepts all. */
async function responseSink(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  return { url: `${await listenOnLoopback(server)}/response`, close: () => closeServer(server) };
}

const stop = (child: ChildProcess) => new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM'));

function signedSlashCommand(responseUrl: string, command: string, text: string, userId: string) {
  const body = new URLSearchParams({
    token: 'legacy',
    team_id: 'T0BENCH',
    channel_id: 'C0BENCH',
    user_id: userId,
    command,
    text,
    response_url: responseUrl,
    trigger_id: 'trigger',
    api_app_id: 'A0BENCH',
  }).toString();
  const ts = Math.floor(Date.now() / 1000);
  return {
    method: 'POST' as const,
    path: '/slack/events',
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': slackSignature(SECRETS.signingSecret, ts, body),
    },
  };
}

const run = (options: autocannon.Options) =>
  new Promise<autocannon.Result>((resolve, reject) =>
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result))),
  );

/**
 * Bursts of 50 simultaneous signed `/lock` and `/locks` requests, as when a whole team reacts
 * to the same alert; each request's time until Slack would see the acknowledgement.
 */
async function benchSlashCommandAck(url: string, responseUrl: string) {
  const scopes = ['api@staging', 'web@staging', 'staging', 'api@prod', 'prod', 'all'];
  const latencies: number[] = [];
  for (let burst = 0; burst < 45; burst++) {
    const requests = Array.from({ length: 50 }, (_, i) =>
      i % 2 === 0
        ? signedSlashCommand(responseUrl, '/lock', `${scopes[i % scopes.length]} for 1h bench`, `U0USER${i}`)
        : signedSlashCommand(responseUrl, '/locks', '', `U0USER${i}`),
    );
    const timed = await Promise.all(
      requests.map(async ({ body, headers }) => {
        const sentAt = performance.now();
        const response = await fetch(`${url}/slack/events`, { method: 'POST', headers, body });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`${response.status} from /slack/events`);
        return performance.now() - sentAt;
      }),
    );
    // The first bursts warm up the JIT and the connection pools.
    if (burst >= 5) latencies.push(...timed);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return {
    samples: latencies.length,
    p50: Math.round(percentile(latencies, 50)),
    p99: Math.round(percentile(latencies, 99)),
  };
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/**
 * Rounds of 50 simultaneous `/deploy`s (one per service), each measured twice: until Slack's
 * request is acknowledged, and until the GitHub fake has the deployment. Between rounds GitHub
 * reports every deployment successful, which frees the services for the next round.
 */
async function benchDeploys(appUrl: string, responseUrl: string, slackApi: FakeSlackApi, githubApi: FakeGitHubApi) {
  const services = Array.from({ length: PARALLEL_DEPLOYS }, (_, i) => i);
  for (const i of services) {
    githubApi.addRepo(`acme/svc${i}`, { defaultBranch: 'main' });
    const sha = randomBytes(20).toString('hex');
    githubApi.addCommit(`acme/svc${i}`, { sha });
    githubApi.setBranch(`acme/svc${i}`, 'main', sha);
    slackApi.addChannel({ id: `C0ENV${i}`, name: `env${i}` });
  }
  const acks: number[] = [];
  const toDeployment: number[] = [];
  for (let round = 0; round < DEPLOY_ROUNDS; round++) {
    await Promise.all(
      services.map(async (i) => {
        const { body, headers } = signedSlashCommand(responseUrl, '/deploy', `svc${i} to env${i}`, `U0DEV${i}`);
        const sentAt = Date.now();
        const created = githubApi.waitFor(
          'POST /repos/{owner}/{repo}/deployments',
          (c) => c.path.includes(`/acme/svc${i}/`) && c.at >= sentAt,
          30_000,
        );
        const response = await fetch(`${appUrl}/slack/events`, { method: 'POST', headers, body });
        const ackedAt = Date.now();
        if (response.status !== 200) throw new Error(`/deploy answered ${response.status}`);
        const call = await created;
        if (round > 0) {
          acks.push(ackedAt - sentAt);
          toDeployment.push(call.at - sentAt);
        }
        const deployment = githubApi.deployments(`acme/svc${i}`).at(-1)!;
        const finished = slackApi.waitFor(
          'chat.update',
          (c) => c.args.channel === `C0ENV${i}` && String(c.args.text).includes(`deployed *svc${i}*`) && c.at >= sentAt,
          60_000,
        );
        await reportSuccess(appUrl, `acme/svc${i}`, deployment.id, deployment.payload);
        await finished;
      }),
    );
  }
  return {
    samples: acks.length,
    ackP50: percentile(acks, 50),
    ackP99: percentile(acks, 99),
    createdP50: percentile(toDeployment, 50),
    createdP99: percentile(toDeployment, 99),
  };
}

async function reportSuccess(appUrl: string, repo: string, deploymentId: number, deploymentPayload: unknown) {
  const payload = webhookExample('deployment_status', 'created') as unknown as Record<string, Record<string, unknown>>;
  payload.deployment_status.state = 'success';
  payload.deployment.id = deploymentId;
  payload.deployment.payload = deploymentPayload;
  payload.repository.full_name = repo;
  const body = JSON.stringify(payload);
  const response = await fetch(`${appUrl}/github/webhooks`, {
    method: 'POST',
    headers: githubWebhookHeaders({
      secret: SECRETS.webhookSecret,
      event: 'deployment_status',
      deliveryId: randomUUID(),
      body,
    }),
    body,
  });
  if (response.status !== 202) throw new Error(`deployment_status answered ${response.status}`);
}

const INGEST_CONNECTIONS = 50;
const INGEST_PAYLOAD_BYTES = 25 * 1024;

/** A real `pull_request.opened` payload whose description is lengthened to 25 KB, a large but ordinary delivery. */
function pullRequestOf25KB(): string {
  const payload = webhookExample('pull_request', 'opened') as unknown as { pull_request: { body: string | null } };
  const bytes = Buffer.byteLength(JSON.stringify(payload));
  payload.pull_request.body = `${payload.pull_request.body ?? ''}${'x'.repeat(INGEST_PAYLOAD_BYTES - bytes)}`;
  return JSON.stringify(payload);
}

/**
 * Signed 25 KB `pull_request` deliveries, each with a new delivery id, from 50 connections:
 * tugboat on each store (stored durably in its inbox before 202, handled from there) against
 * Probot with an empty handler (stores nothing), alternating, each side's best run. After each
 * tugboat run, the time until its inbox is empty again: every delivery handled.
 */
async function benchWebhookIngest(apps: Array<{ store: string; url: string }>, probotUrl: string) {
  const body = pullRequestOf25KB();
  const headers = {
    'content-type': 'application/json',
    'x-github-event': 'pull_request',
    'x-hub-signature-256': githubSignature(SECRETS.webhookSecret, body),
    'user-agent': 'GitHub-Hookshot/bench',
  };
  const options = (url: string, duration = 5): autocannon.Options => ({
    url,
    connections: INGEST_CONNECTIONS,
    duration,
    method: 'POST',
    body,
    headers,
    requests: [
      {
        setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'x-github-delivery': randomUUID() } }),
      },
    ],
  });
  const webhooksOf = (app: { url: string }) => `${app.url}/github/webhooks`;
  await run(options(probotUrl, 2));
  for (const app of apps) {
    await run(options(webhooksOf(app), 2));
    await inboxDrained(app.url);
  }
  // Alternate and keep each side's best run: this 2-core machine also runs PostgreSQL and the load generator.
  const probot: number[] = [];
  const tugboat = apps.map((app) => ({
    store: app.store,
    rates: [] as number[],
    non2xx: 0,
    drainSeconds: [] as number[],
  }));
  for (let i = 0; i < 2; i++) {
    probot.push((await run(options(probotUrl))).requests.average);
    for (const [j, app] of apps.entries()) {
      const result = await run(options(webhooksOf(app)));
      tugboat[j].rates.push(result.requests.average);
      tugboat[j].non2xx += result.non2xx;
      const endedAt = performance.now();
      await inboxDrained(app.url);
      tugboat[j].drainSeconds.push((performance.now() - endedAt) / 1000);
    }
  }
  return {
    bytes: Buffer.byteLength(body),
    probot: Math.max(...probot),
    tugboat: tugboat.map((t) => ({
      store: t.store,
      rate: Math.max(...t.rates),
      non2xx: t.non2xx,
      drainSeconds: Math.max(...t.drainSeconds),
    })),
  };
}

/** Waits until the app's inbox is empty (its `/metrics`), so that the next run starts from the same state. */
async function inboxDrained(appUrl: string): Promise<void> {
  for (;;) {
    const metrics = await (await fetch(`${appUrl}/metrics`)).text();
    if (/^tugboat_webhook_inbox_depth 0$/m.test(metrics)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The sections to run: `npm run bench -- ingest deploys` runs those two; no names, all of them. */
const SECTIONS = ['ingest', 'ack', 'deploys', 'reviews', 'smoke', 'budget', 'intake', 'footprint'] as const;
type Section = (typeof SECTIONS)[number];
const chosen = process.argv.slice(2);
const unknownSection = chosen.find((name) => !SECTIONS.includes(name as Section));
if (unknownSection) throw new Error(`no bench section "${unknownSection}"; there are: ${SECTIONS.join(', ')}`);
const wanted = (section: Section) => chosen.length === 0 || chosen.includes(section);

async function main() {
  if (['ingest', 'ack', 'deploys', 'reviews'].some((s) => wanted(s as Section))) await benchAppSections();
  // After the app and the fakes have stopped: this process's CPU time is one of its figures.
  if (wanted('smoke'))
    for (const line of smokeReport(await benchSmoke({ databaseUrl: DATABASE_URL }))) console.log(line);
  if (wanted('budget')) for (const line of githubBudgetReport(await benchGitHubBudget())) console.log(line);
  // Last, alone on the machine: its tugboat is the only one running, and its RSS is the figure.
  if (wanted('intake'))
    for (const line of intakeReport(await benchIntake({ databaseUrl: DATABASE_URL }))) console.log(line);
  if (wanted('footprint'))
    for (const line of footprintReport(await benchFootprint({ databaseUrl: DATABASE_URL }))) console.log(line);
}

/** The sections that share one tugboat process on PostgreSQL, with the Slack and GitHub fakes. */
async function benchAppSections() {
  await withSchema(DATABASE_URL, async (databaseUrl) => {
    const slackApi = await FakeSlackApi.start({ token: SECRETS.botToken });
    const githubApi = await FakeGitHubApi.start();
    for (const id of ['C0BENCH', 'C0STAGING', 'C0DEPLOYS']) slackApi.addChannel({ id, name: id.toLowerCase() });
    const dir = await mkdtemp(path.join(tmpdir(), 'tugboat-bench-'));
    await writeFile(path.join(dir, 'tugboat.yml'), CONFIG);
    const sink = await responseSink();
    try {
      const appEnv = {
        DATABASE_URL: databaseUrl,
        TUGBOAT_CONFIG: path.join(dir, 'tugboat.yml'),
        SLACK_BOT_TOKEN: SECRETS.botToken,
        SLACK_SIGNING_SECRET: SECRETS.signingSecret,
        SLACK_API_URL: slackApi.url,
        GITHUB_API_URL: githubApi.url,
        GITHUB_TOKEN: 'ghp_bench',
        GITHUB_WEBHOOK_SECRET: SECRETS.webhookSecret,
      };
      const app = await startProcess('src/main.ts', appEnv, '/readyz');
      if (wanted('ingest')) {
        const probot = await startProcess(
          'bench/probot-webhook-server.ts',
          { GITHUB_WEBHOOK_SECRET: SECRETS.webhookSecret },
          '/',
          false,
        );
        // The same app on the embedded store, its data folder on disk.
        const pglite = await startProcess(
          'src/main.ts',
          { ...appEnv, DATABASE_URL: undefined, TUGBOAT_DATA_DIR: path.join(dir, 'data') },
          '/readyz',
        );
        const ingest = await benchWebhookIngest(
          [
            { store: 'PostgreSQL', url: app.url },
            { store: 'PGlite', url: pglite.url },
          ],
          `${probot.url}/github/webhooks`,
        );
        await Promise.all([stop(probot.child), stop(pglite.child)]);
        console.log(
          `\nGitHub webhook ingest (signed pull_request.opened, ${ingest.bytes} bytes, ${INGEST_CONNECTIONS} connections, best of two 5 s runs each)`,
        );
        console.log(`  Probot, empty handler, stores nothing: ${Math.round(ingest.probot)} deliveries/s`);
        for (const { store, rate, non2xx, drainSeconds } of ingest.tugboat) {
          const ratio = rate / ingest.probot;
          console.log(
            `  tugboat on ${store} (verify, store in the inbox, 202; handled from the inbox): ${Math.round(rate)} deliveries/s   non-2xx ${non2xx}`,
          );
          console.log(
            `    inbox empty again at most ${drainSeconds.toFixed(1)} s after a run ended (every delivery handled)`,
          );
          console.log(
            `    tugboat/Probot ${ratio.toFixed(2)} (goal at least 0.50 -> ${ratio >= 0.5 ? 'met' : 'NOT met'})`,
          );
        }
      }

      if (wanted('ack')) {
        const ack = await benchSlashCommandAck(app.url, sink.url);
        console.log(
          `\n/lock + /locks acknowledgement (bursts of 50 simultaneous signed requests, real PostgreSQL, app in its own process; ${ack.samples} measured)`,
        );
        console.log(`  p50 ${ack.p50} ms   p99 ${ack.p99} ms`);
        console.log(`  goal: p99 under 100 ms -> ${ack.p99 < 100 ? 'met' : 'NOT met'}`);
      }

      if (wanted('deploys')) {
        const deploys = await benchDeploys(app.url, sink.url, slackApi, githubApi);
        console.log(
          `\n/deploy (rounds of ${PARALLEL_DEPLOYS} simultaneous deploys of different services, GitHub fake answering at once; ${deploys.samples} measured)`,
        );
        console.log(
          `  acknowledged: p50 ${deploys.ackP50} ms   p99 ${deploys.ackP99} ms   (goal: p99 under 100 ms -> ${deploys.ackP99 < 100 ? 'met' : 'NOT met'})`,
        );
        console.log(
          `  /deploy to GitHub deployment created: p50 ${deploys.createdP50} ms   p99 ${deploys.createdP99} ms`,
        );
      }

      if (wanted('reviews'))
        for (const line of reviewReport(
          await benchReviews({ appUrl: app.url, webhookSecret: SECRETS.webhookSecret, slackApi, githubApi }),
        ))
          console.log(line);
    } finally {
      await Promise.all(children.filter((c) => c.exitCode === null && c.signalCode === null).map(stop));
      await slackApi.close();
      await githubApi.close();
      await sink.close();
    }
  });
}

await main();
