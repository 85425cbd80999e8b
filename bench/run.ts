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
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { FakeSlackApi } from '../src/fakes/slack-api.ts';
import { githubSignature, slackSignature } from '../src/fakes/signing.ts';
import { webhookExample } from '../src/fakes/webhook-examples.ts';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECRETS = { botToken: 'xoxb-bench', signingSecret: 'bench-signing-secret', webhookSecret: 'bench-webhook-secret' };
const CONFIG = `
admins: [U0ADMIN]
environments:
  staging: { channel: C0STAGING }
  production: { aliases: [prod], channel: C0DEPLOYS }
services:
  api: { repo: acme/api, environments: [staging, production], deploy: { via: github-deployment } }
  web: { repo: acme/web, environments: [staging, production], deploy: { via: github-deployment } }
`;

async function withSchema<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  try {
    return await fn(url.toString());
  } finally {
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs a server in a process of its own, as in production, so the load generator and the
 * Slack fake in this process do not share its event loop. Resolves once `readyPath` answers.
 */
async function startProcess(script: string, env: Record<string, string>, readyPath: string, requireOk = true) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(url + readyPath).then((r) => r.ok || !requireOk, () => false);
    if (ok) return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`${script} did not start`);
}

const children: ChildProcess[] = [];

/** Where the app's ephemeral answers go during the ack benchmark: Slack's response_url accepts 5 uses, this accepts all. */
function responseSink(): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/response`, close: () => server.close() }),
    ),
  );
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
  new Promise<autocannon.Result>((resolve, reject) => autocannon(options, (error, result) => (error ? reject(error) : resolve(result))));

async function benchSlashCommandAck(url: string, responseUrl: string) {
  const scopes = ['api@staging', 'web@staging', 'staging', 'api@prod', 'prod', 'all'];
  const requests = Array.from({ length: 24 }, (_, i) =>
    i % 2 === 0
      ? signedSlashCommand(responseUrl, '/lock', `${scopes[i % scopes.length]} for 1h bench`, `U0USER${i}`)
      : signedSlashCommand(responseUrl, '/locks', '', `U0USER${i}`),
  );
  // Warm up (JIT, pool connections), then measure.
  await run({ url, connections: 50, amount: 500, requests });
  const result = await run({ url, connections: 50, amount: 5000, requests });
  return { p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average, non2xx: result.non2xx };
}

async function benchWebhookIngest(appUrl: string, bareUrl: string) {
  const body = JSON.stringify(webhookExample('pull_request', 'opened'));
  const headers = {
    'content-type': 'application/json',
    'x-github-event': 'pull_request',
    'x-hub-signature-256': githubSignature(SECRETS.webhookSecret, body),
    'user-agent': 'GitHub-Hookshot/bench',
  };
  const options = (url: string): autocannon.Options => ({
    url,
    connections: 20,
    duration: 5,
    method: 'POST',
    body,
    headers,
    requests: [
      {
        setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'x-github-delivery': randomUUID() } }),
      },
    ],
  });
  await run({ ...options(bareUrl), duration: 2 });
  const baseline = await run(options(bareUrl));
  await run({ ...options(`${appUrl}/github/webhooks`), duration: 2 });
  const tugboat = await run(options(`${appUrl}/github/webhooks`));
  return { bytes: body.length, baseline: baseline.requests.average, tugboat: tugboat.requests.average, non2xx: tugboat.non2xx };
}

async function main() {
  await withSchema(async (databaseUrl) => {
    const slackApi = await FakeSlackApi.start({ token: SECRETS.botToken });
    const dir = await mkdtemp(path.join(tmpdir(), 'tugboat-bench-'));
    await writeFile(path.join(dir, 'tugboat.yml'), CONFIG);
    const sink = await responseSink();
    try {
      const app = await startProcess(
        'src/main.ts',
        {
          DATABASE_URL: databaseUrl,
          TUGBOAT_CONFIG: path.join(dir, 'tugboat.yml'),
          SLACK_BOT_TOKEN: SECRETS.botToken,
          SLACK_SIGNING_SECRET: SECRETS.signingSecret,
          SLACK_API_URL: slackApi.url,
          GITHUB_WEBHOOK_SECRET: SECRETS.webhookSecret,
        },
        '/readyz',
      );
      const bare = await startProcess('bench/bare-webhook-server.ts', { GITHUB_WEBHOOK_SECRET: SECRETS.webhookSecret }, '/', false);
      const ack = await benchSlashCommandAck(app.url, sink.url);
      console.log('\n/lock + /locks acknowledgement (50 concurrent signed requests, real PostgreSQL, app in its own process)');
      console.log(`  p50 ${ack.p50} ms   p99 ${ack.p99} ms   ${Math.round(ack.rps)} req/s   non-2xx ${ack.non2xx}`);
      console.log(`  goal: p99 under 100 ms -> ${ack.p99 < 100 ? 'met' : 'NOT met'}`);

      const ingest = await benchWebhookIngest(app.url, `${bare.url}/github/webhooks`);
      const ratio = ingest.tugboat / ingest.baseline;
      console.log(`\nGitHub webhook ingest (signed pull_request.opened, ${ingest.bytes} bytes, 20 connections, 5 s)`);
      console.log(`  bare node:http verifying the signature: ${Math.round(ingest.baseline)} deliveries/s`);
      console.log(`  tugboat (verify, record delivery, 202, handle): ${Math.round(ingest.tugboat)} deliveries/s   non-2xx ${ingest.non2xx}`);
      console.log(`  ratio ${ratio.toFixed(2)} (goal at least 0.50 -> ${ratio >= 0.5 ? 'met' : 'NOT met'})`);
    } finally {
      await Promise.all(children.filter((c) => c.exitCode === null).map(stop));
      await slackApi.close();
      sink.close();
    }
  });
}

await main();
