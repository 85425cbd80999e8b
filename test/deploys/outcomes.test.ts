import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, listenOnLoopback } from '../../src/fakes/http.ts';
import { RUN_NAME_CONVENTION, signWebhookBody } from '../../src/deploys/index.ts';
import { SECRETS, startHarness, FIXTURE_CONFIG, type Harness } from '../helpers/harness.ts';
import { channelMessages, command, reportWorkflowRun, seedRepo, sha } from '../helpers/deploys.ts';
import { postgresBackend, storeBackends } from '../helpers/stores.ts';

const withDeploy = (via: string) => FIXTURE_CONFIG.replace('deploy: { via: github-deployment }', `deploy: ${via}`);

/** A deploy receiver like a CI server's: records what it was sent and answers 202. */
async function receiver() {
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(202).end();
    });
  });
  return { url: `${await listenOnLoopback(server)}/deploy`, received, close: () => closeServer(server) };
}

describe('deploy outcomes from outside', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('dispatches a workflow with the SHA and takes the outcome from its workflow_run', async () => {
    h = await startHarness({
      backend: storeBackends[0],
      configYaml: withDeploy('{ via: workflow, workflow: deploy.yml }'),
    });
    seedRepo(h, 'acme/api', ['one']);
    h.githubApi.addWorkflow('acme/api', { file: 'deploy.yml', name: 'Deploy', runName: RUN_NAME_CONVENTION });
    await command(h, 'U0ALICE', `/deploy api ${sha('one')} to staging`, 'C0STAGING');
    const [dispatch] = h.githubApi.dispatches('acme/api');
    expect(dispatch).toMatchObject({
      workflow_id: 'deploy.yml',
      ref: 'main',
      inputs: { sha: sha('one'), environment: 'staging', deploy_id: '1' },
    });
    const [run] = h.githubApi.workflowRuns('acme/api');
    expect(run.display_title).toBe('tugboat deploy #1');

    await reportWorkflowRun(h, 'acme/api', run, 'completed', { conclusion: 'failure' });
    const [announcement] = channelMessages(h, 'C0STAGING');
    expect(announcement.text).toContain(':x: <@U0ALICE> failed to deploy *api*');
    expect(JSON.stringify(announcement.blocks)).toContain('the workflow run concluded failure');
  });

  it('posts a signed request to a webhook receiver and takes its signed callback, once', async () => {
    const ci = await receiver();
    try {
      h = await startHarness({
        backend: storeBackends[0],
        configYaml: withDeploy(`{ via: webhook, url: "${ci.url}" }`),
        publicUrl: 'https://tugboat.example.com',
      });
      seedRepo(h, 'acme/api', ['one']);
      await command(h, 'U0ALICE', '/deploy api to staging', 'C0STAGING');
      const [sent] = ci.received;
      const body = JSON.parse(sent.body);
      expect(body).toMatchObject({
        deploy_id: 1,
        service: 'api',
        environment: 'staging',
        sha: sha('one'),
        callback_url: 'https://tugboat.example.com/deploys/callback',
      });
      const ts = String(sent.headers['x-tugboat-timestamp']);
      expect(sent.headers['x-tugboat-signature-256']).toBe(
        signWebhookBody(SECRETS.deployWebhookSecret, Number(ts), sent.body),
      );

      const report = (status: string, secret = SECRETS.deployWebhookSecret) => {
        const raw = JSON.stringify({ deploy_id: 1, status, log_url: 'https://ci.example.com/runs/5' });
        const now = Math.floor(Date.now() / 1000);
        return fetch(`${h.url}/deploys/callback`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-tugboat-timestamp': String(now),
            'x-tugboat-signature-256': signWebhookBody(secret, now, raw),
          },
          body: raw,
        });
      };
      expect((await report('succeeded', 'wrong-secret')).status).toBe(401);
      expect((await report('succeeded')).status).toBe(200);
      expect(await (await report('failed')).text()).toContain('already finished');
      await h.tugboat.settle();
      const [announcement] = channelMessages(h, 'C0STAGING');
      expect(announcement.text).toContain(':white_check_mark: <@U0ALICE> deployed *api*');
      expect(JSON.stringify(announcement.blocks)).toContain('https://ci.example.com/runs/5');
    } finally {
      await ci.close();
    }
  });
});

describe.runIf(postgresBackend)('a replica that dies mid-deploy, on real PostgreSQL', () => {
  let first: Harness;
  let second: Harness;
  afterEach(async () => {
    await second?.stop();
    await first?.stop();
  });

  it('is noticed by another replica: the deploy is marked unknown, its thread told, and the environment freed', async () => {
    const { mkdtemp, writeFile, chmod, mkdir } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/tugboat-slow-');
    await mkdir(`${dir}/scripts`);
    await writeFile(`${dir}/scripts/deploy.sh`, '#!/bin/sh\nsleep 30\n');
    await chmod(`${dir}/scripts/deploy.sh`, 0o755);
    const db = await postgresBackend!.open();
    first = await startHarness({ backend: postgresBackend!, db, commandCwd: dir });
    seedRepo(first, 'acme/web', ['w1']);
    await first.slack.slashCommand({
      command: '/deploy',
      text: 'web to staging',
      userId: 'U0ALICE',
      channelId: 'C0STAGING',
    });
    await first.slackApi.waitFor('chat.update', (c) => String(c.args.text).includes('is deploying *web*'));

    // The first replica's process dies: its lease is never renewed again.
    const [running] = await db.store.query<{ id: number; lease_expires_at: Date }>(
      `select id, lease_expires_at from deploys where status = 'running'`,
    );
    expect(running.lease_expires_at).not.toBeNull();
    second = await startHarness({ backend: postgresBackend!, db, clock: first.clock });
    second.slackApi.addChannel({ id: 'C0STAGING', name: 'staging' });
    const sweep = second.tugboat.jobs.find((j) => j.name === 'deploy-sweep')!;
    await sweep.run();
    expect((await db.store.query<{ status: string }>('select status from deploys'))[0].status).toBe('running');

    second.clock.advance(61_000);
    await Promise.all([sweep.run(), sweep.run()]);
    await second.tugboat.settle();
    expect((await db.store.query<{ status: string }>('select status from deploys'))[0].status).toBe('unknown');
    const told = second.slackApi
      .callsTo('chat.postMessage')
      .filter((c) => String(c.args.text).includes('outcome is unknown'));
    expect(told).toHaveLength(1);
    expect(told[0].args.thread_ts).toBeDefined();

    seedRepo(second, 'acme/web', ['w1']);
    const [answer] = await command(second, 'U0BOB', '/deploy web to staging --plan');
    expect(answer).toContain(':white_check_mark: No deploy in flight');
    await db.close();
  }, 40_000);
});
