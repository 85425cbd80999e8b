import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { parseConfig } from '../../src/config/index.ts';
import { FakeGitHubApi } from '../../src/fakes/github-api.ts';
import { closeServer, freePort, listenOnLoopback } from '../../src/fakes/http.ts';
import { FakeSlackApi } from '../../src/fakes/slack-api.ts';
import { SlackSender } from '../../src/fakes/slack-client.ts';
import { openStore } from '../../src/store/index.ts';
import { RUN_NAME_CONVENTION, signWebhookBody } from '../../src/deploys/index.ts';
import { WallClock } from '../helpers/clock.ts';
import { FIXTURE_CONFIG, SECRETS, startHarness, type Harness } from '../helpers/harness.ts';
import { channelMessages, command, githubDeployments, seedRepo, sha, threadOf } from '../helpers/deploys.ts';
import { postgresBackend, storeBackends, type StoreBackend, type TestDatabase } from '../helpers/stores.ts';
import { waitUntil } from '../helpers/wait.ts';

const withApiDeploy = (deploy: string) =>
  FIXTURE_CONFIG.replace('deploy: { via: github-deployment }', `deploy: ${deploy}`);

const row = async (h: Harness, id: number) =>
  (
    await h.db.store.query<{
      status: string;
      stop_reason: string | null;
      detail: string | null;
      lease_expires_at: Date | null;
    }>('select status, stop_reason, detail, lease_expires_at from deploys where id = $1', [id])
  )[0];

const threadText = (h: Harness, channel: string, index = 0) => {
  const root = channelMessages(h, channel)[index];
  return threadOf(h, channel, root.ts)
    .map((m) => m.text)
    .join('\n');
};

/** Running, not a zombie: a killed child of the killed script waits for whichever process reaps orphans. */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

/**
 * A folder with `scripts/deploy.sh` for `web` (via: command): it writes its pid and its child's
 * (`pid.<id>`, `child.<id>`), records whether the deploy it rolls back still ran when it started
 * (`overlap.<id>`), and runs `sleep <seconds>` with seconds by SHA (`slow` for any SHA named here).
 */
async function scriptsDir(slowShas: Record<string, number>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tugboat-lifecycle-'));
  await mkdir(path.join(dir, 'scripts'));
  const cases = Object.entries(slowShas)
    .map(([s, seconds]) => `  ${s}) seconds=${seconds} ;;`)
    .join('\n');
  const script = `#!/bin/sh
echo $$ > "pid.$TUGBOAT_DEPLOY_ID"
if [ -n "$TUGBOAT_ROLLBACK_OF" ]; then
  if kill -0 "$(cat "pid.$TUGBOAT_ROLLBACK_OF")" 2>/dev/null; then echo yes > "overlap.$TUGBOAT_DEPLOY_ID"; else echo no > "overlap.$TUGBOAT_DEPLOY_ID"; fi
fi
seconds=0
case "$TUGBOAT_SHA" in
${cases}
esac
sleep "$seconds" &
echo $! > "child.$TUGBOAT_DEPLOY_ID"
wait
echo "deployed $TUGBOAT_SHA"
`;
  await writeFile(path.join(dir, 'scripts', 'deploy.sh'), script);
  await chmod(path.join(dir, 'scripts', 'deploy.sh'), 0o755);
  return dir;
}

const pidsOf = async (dir: string, id: number) => ({
  script: Number(await readFile(path.join(dir, `pid.${id}`), 'utf8')),
  child: Number(await readFile(path.join(dir, `child.${id}`), 'utf8')),
});

const fileExists = (file: string) =>
  readFile(file).then(
    () => true,
    () => false,
  );

describe('deploy.timeout in tugboat.yml', () => {
  it('takes any duration, seconds included, and says what is wrong with a bad one', () => {
    expect(
      parseConfig(withApiDeploy('{ via: github-deployment, timeout: 5s }'), 'tugboat.yml').services.api.deploy.timeout,
    ).toBe(5_000);
    expect(parseConfig(FIXTURE_CONFIG, 'tugboat.yml').services.api.deploy.timeout).toBeUndefined();
    expect(() => parseConfig(withApiDeploy('{ via: github-deployment, timeout: 5 }'), 'tugboat.yml')).toThrow(
      'tugboat.yml: services.api.deploy.timeout (line 18): expected a duration like 30s, 10m, 2h or 14d (a number needs a unit)',
    );
  });
});

for (const backend of storeBackends) {
  describe(`deploy deadlines and cancel on ${backend.name}`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.stop();
      h = undefined;
    });

    it('reconciles an overdue GitHub deployment from the API, and times out one that never reports: announced, marked error, environment free', async () => {
      h = await startHarness({ backend, configYaml: withApiDeploy('{ via: github-deployment, timeout: 5s }') });
      seedRepo(h, 'acme/api', ['v1', 'v2']);
      await command(h, 'U0ALICE', `/deploy api ${sha('v1')} to staging`, 'C0STAGING');
      const [first] = githubDeployments(h, 'acme/api');
      // Its success status was set on GitHub, but the webhook never arrived.
      await h.tugboat.deps.github.octokit.repos.createDeploymentStatus({
        owner: 'acme',
        repo: 'api',
        deployment_id: first.id,
        state: 'success',
      });
      h.clock.advance(4_000);
      await h.tugboat.deployer.sweep();
      expect((await row(h, 1)).status).toBe('running');
      h.clock.advance(2_000);
      await h.tugboat.deployer.sweep();
      await h.tugboat.settle();
      expect(await row(h, 1)).toMatchObject({ status: 'succeeded', stop_reason: null });

      await command(h, 'U0ALICE', `/deploy api ${sha('v2')} to staging`, 'C0STAGING');
      const second = githubDeployments(h, 'acme/api')[1];
      h.clock.advance(6_000);
      await h.tugboat.deployer.sweep();
      await h.tugboat.settle();
      expect(await row(h, 2)).toMatchObject({
        status: 'unknown',
        stop_reason: 'timed_out',
        detail: 'no outcome within 5s (deploy.timeout)',
      });
      expect(second.statuses.at(-1)).toMatchObject({ state: 'error' });
      const announcement = channelMessages(h, 'C0STAGING')[1];
      expect(announcement.text).toContain(':hourglass: <@U0ALICE> timed out deploying *api*');
      const thread = threadText(h, 'C0STAGING', 1);
      expect(thread).toContain(
        'No outcome within 5s (`deploy.timeout`), so tugboat stopped waiting; *staging* is free again.',
      );
      expect(thread).toContain(`Where it stood: GitHub deployment ${second.id} has no status at all.`);
      expect(thread).toContain(`Stopped on the other side: GitHub deployment ${second.id} marked error.`);
      expect(thread).toContain('Check the CD system that acts on GitHub deployments');

      expect(await command(h, 'U0ALICE', `/deploy api ${sha('v1')} to staging`, 'C0STAGING')).toEqual([]);
      expect(githubDeployments(h, 'acme/api')).toHaveLength(3);
      const [history] = await command(h, 'U0ALICE', '/tugboat history api staging');
      expect(history).toMatch(/#2 .*: :hourglass: timed out/);
    });

    it('reconciles an overdue workflow run from its conclusion, and /deploy cancel cancels a dispatched run', async () => {
      h = await startHarness({
        backend,
        configYaml: withApiDeploy('{ via: workflow, workflow: deploy.yml, timeout: 5s }'),
      });
      seedRepo(h, 'acme/api', ['v1', 'v2']);
      h.githubApi.addWorkflow('acme/api', { file: 'deploy.yml', name: 'Deploy', runName: RUN_NAME_CONVENTION });
      await command(h, 'U0ALICE', '/deploy api main to staging', 'C0STAGING');
      const [run] = h.githubApi.workflowRuns('acme/api');
      Object.assign(run, { status: 'completed', conclusion: 'failure' });
      h.clock.advance(6_000);
      await h.tugboat.deployer.sweep();
      await h.tugboat.settle();
      expect(await row(h, 1)).toMatchObject({
        status: 'failed',
        detail: 'the workflow run concluded failure',
        stop_reason: null,
      });

      await command(h, 'U0ALICE', '/deploy api main to staging', 'C0STAGING');
      const running = h.githubApi.workflowRuns('acme/api')[1];
      expect(await command(h, 'U0BOB', '/deploy cancel api to staging', 'C0STAGING')).toEqual([
        'Cancelled #2 (*api* to *staging*); its thread in <#C0STAGING> says what was stopped.',
      ]);
      expect(running).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
      expect(await row(h, 2)).toMatchObject({ status: 'failed', stop_reason: 'cancelled' });
      const thread = threadText(h, 'C0STAGING', 1);
      expect(thread).toContain('<@U0BOB> cancelled this deploy; *staging* is free again.');
      expect(thread).toContain(`Stopped on the other side: workflow run ${running.id} cancelled.`);
      expect(channelMessages(h, 'C0STAGING')[1].text).toContain(
        ':no_entry_sign: <@U0ALICE> had a deploy cancelled: *api*',
      );
      expect(await command(h, 'U0BOB', '/deploy cancel api to staging')).toEqual([
        'Nothing to cancel: no deploy of *api* to *staging* is in flight.',
      ]);
    });

    it('cancels a GitHub deployment (marked inactive) for its requester, the deployers and admins; refuses anyone else with a sentence', async () => {
      h = await startHarness({ backend });
      seedRepo(h, 'acme/api', ['v1']);
      const deployAndCancel = async (by: string) => {
        await command(h!, 'U0ALICE', '/deploy api to prod', 'C0DEPLOYS');
        const answers = await command(h!, by, '/deploy cancel api to prod', 'C0DEPLOYS');
        return { answers, deployment: githubDeployments(h!, 'acme/api').at(-1)! };
      };

      const refused = await deployAndCancel('U0MALLORY');
      expect(refused.answers).toEqual([
        'Only <@U0ALICE> (who started #1), the deployers of *production* and admins can cancel it.',
      ]);
      expect(refused.deployment.statuses).toEqual([]);
      expect((await row(h, 1)).status).toBe('running');
      // Alice is no longer a deployer of production; she may still cancel the deploy she started.
      h.tugboat.setConfig(
        parseConfig(
          FIXTURE_CONFIG.replace('deployers: [U0ALICE, U0BOB, U0CAROL]', 'deployers: [U0BOB, U0CAROL]'),
          'tugboat.yml',
        ),
      );
      expect(await command(h, 'U0ALICE', '/deploy cancel api to prod', 'C0DEPLOYS')).toEqual([
        'Cancelled #1 (*api* to *production*); its thread in <#C0DEPLOYS> says what was stopped.',
      ]);
      expect(refused.deployment.statuses.at(-1)).toMatchObject({
        state: 'inactive',
        description: 'tugboat #1: cancelled with /deploy cancel',
      });
      expect(await row(h, 1)).toMatchObject({
        status: 'failed',
        stop_reason: 'cancelled',
        detail: 'cancelled with /deploy cancel',
      });
      h.tugboat.setConfig(parseConfig(FIXTURE_CONFIG, 'tugboat.yml'));

      const byDeployer = await deployAndCancel('U0BOB');
      expect(byDeployer.answers[0]).toContain('Cancelled #2');
      expect(byDeployer.deployment.statuses.at(-1)).toMatchObject({ state: 'inactive' });
      const byAdmin = await deployAndCancel('U0ADMIN');
      expect(byAdmin.answers[0]).toContain('Cancelled #3');
      expect(threadText(h, 'C0DEPLOYS', 2)).toContain(
        `<@U0ADMIN> cancelled this deploy; *production* is free again.\nStopped on the other side: GitHub deployment ${byAdmin.deployment.id} marked inactive.`,
      );
    });

    it('tells a webhook receiver to cancel, with a signed cancel request', async () => {
      const received: Array<{ body: string; timestamp: string; signature: string }> = [];
      const receiver = http.createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => (body += chunk));
        req.on('end', () => {
          received.push({
            body,
            timestamp: String(req.headers['x-tugboat-timestamp']),
            signature: String(req.headers['x-tugboat-signature-256']),
          });
          res.writeHead(JSON.parse(body).action === 'cancel' ? 200 : 202).end();
        });
      });
      const url = `${await listenOnLoopback(receiver)}/deploy`;
      try {
        h = await startHarness({
          backend,
          configYaml: withApiDeploy(`{ via: webhook, url: "${url}" }`),
          publicUrl: 'self',
        });
        seedRepo(h, 'acme/api', ['v1']);
        await command(h, 'U0ALICE', '/deploy api to staging', 'C0STAGING');
        expect(await command(h, 'U0ALICE', '/deploy cancel api to staging', 'C0STAGING')).toEqual([
          'Cancelled #1 (*api* to *staging*); its thread in <#C0STAGING> says what was stopped.',
        ]);
        expect(received).toHaveLength(2);
        const cancel = received[1];
        expect(JSON.parse(cancel.body)).toEqual({
          action: 'cancel',
          deploy_id: 1,
          service: 'api',
          environment: 'staging',
          reason: 'cancelled',
        });
        expect(cancel.signature).toBe(
          signWebhookBody(SECRETS.deployWebhookSecret, Number(cancel.timestamp), cancel.body),
        );
        expect(threadText(h, 'C0STAGING')).toContain('Stopped on the other side: the receiver at 127.0.0.1');
        expect(await row(h, 1)).toMatchObject({ status: 'failed', stop_reason: 'cancelled' });
      } finally {
        await closeServer(receiver);
      }
    });

    it('a rollback of a deploy whose replica died starts once that deploy’s lease lapsed, and says so', async () => {
      const dir = await scriptsDir({});
      h = await startHarness({ backend, commandCwd: dir, clock: new WallClock() });
      seedRepo(h, 'acme/web', ['w1', 'w2']);
      await command(h, 'U0ALICE', `/deploy web ${sha('w1')} to staging`, 'C0STAGING');
      // Another replica started #2 and died: its lease runs out in 2 s and nobody renews it.
      await h.db.store.query(
        `insert into deploys (service, environment, ref, sha, requested_by, channel, status, executor, created_at, started_at, lease_expires_at)
         values ('web', 'staging', $1, $1, 'U0ALICE', 'C0STAGING', 'running', 'command', now(), now(), now() + interval '2 seconds')`,
        [sha('w2')],
      );
      const started = Date.now();
      await command(h, 'U0BOB', '/rollback web staging', 'C0STAGING');
      expect(Date.now() - started).toBeGreaterThan(1_000);
      expect(await row(h, 3)).toMatchObject({ status: 'succeeded' });
      expect(await row(h, 2)).toMatchObject({ status: 'failed', stop_reason: 'superseded' });
      const rollback = channelMessages(h, 'C0STAGING').find((m) => m.text.includes('a rollback of *web*'))!;
      expect(
        threadOf(h, 'C0STAGING', rollback.ts)
          .map((m) => m.text)
          .join('\n'),
      ).toContain(
        'Started once the lease of #2 lapsed: the replica running its script stopped renewing it (it may have died), so tugboat could not confirm that script stopped.',
      );
    }, 30_000);

    describe('SIGTERM with a running command deploy', () => {
      let db: TestDatabase | undefined;
      afterEach(async () => {
        await db?.close();
        db = undefined;
      });

      async function deployWeb(backend: StoreBackend, seconds: number, shutdownGraceMs: number) {
        const dir = await scriptsDir({ [sha('w1')]: seconds });
        db = await backend.open();
        const harness = await startHarness({ backend, db, commandCwd: dir, shutdownGraceMs });
        seedRepo(harness, 'acme/web', ['w1']);
        await harness.slack.slashCommand({
          command: '/deploy',
          text: 'web to staging',
          userId: 'U0ALICE',
          channelId: 'C0STAGING',
        });
        await waitUntil('the script runs', () => fileExists(path.join(dir, 'child.1')));
        return { harness, dir };
      }

      it('waits for a script that finishes within the grace', async () => {
        const { harness } = await deployWeb(backend, 2, 20_000);
        const started = Date.now();
        await harness.stop();
        expect(Date.now() - started).toBeGreaterThan(1_000);
        expect((await db!.store.query<{ status: string }>('select status from deploys where id = 1'))[0].status).toBe(
          'succeeded',
        );
      }, 60_000);

      it('kills a script still running past the grace and marks its deploy unknown with the reason', async () => {
        const { harness, dir } = await deployWeb(backend, 300, 1_000);
        const pids = await pidsOf(dir, 1);
        const started = Date.now();
        await harness.stop();
        expect(Date.now() - started).toBeLessThan(8_000);
        expect(alive(pids.script) || alive(pids.child)).toBe(false);
        const [stopped] = await db!.store.query<{
          status: string;
          stop_reason: string;
          detail: string;
          lease_expires_at: Date | null;
        }>('select status, stop_reason, detail, lease_expires_at from deploys where id = 1');
        expect(stopped).toEqual({
          status: 'unknown',
          stop_reason: 'shutdown',
          detail:
            'tugboat shut down, and its script was still running after the 1s grace (TUGBOAT_SHUTDOWN_GRACE), so it was stopped',
          lease_expires_at: null,
        });
      }, 60_000);
    });
  });
}

describe('SIGTERM to the tugboat process', () => {
  it('kills a deploy script still running after TUGBOAT_SHUTDOWN_GRACE, marks its deploy unknown, and exits', async () => {
    const dir = await scriptsDir({ [sha('w1')]: 300 });
    await writeFile(path.join(dir, 'tugboat.yml'), FIXTURE_CONFIG);
    const slackApi = await FakeSlackApi.start({ token: SECRETS.botToken });
    const githubApi = await FakeGitHubApi.start();
    githubApi.addRepo('acme/web', { defaultBranch: 'main' });
    githubApi.addCommit('acme/web', { sha: sha('w1'), message: 'w1' });
    githubApi.setBranch('acme/web', 'main', sha('w1'));
    const port = await freePort();
    const main = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: {
        PATH: process.env.PATH ?? '',
        SLACK_BOT_TOKEN: SECRETS.botToken,
        SLACK_SIGNING_SECRET: SECRETS.signingSecret,
        GITHUB_WEBHOOK_SECRET: SECRETS.webhookSecret,
        GITHUB_TOKEN: SECRETS.githubToken,
        SLACK_API_URL: slackApi.url,
        GITHUB_API_URL: githubApi.url,
        PORT: String(port),
        TUGBOAT_CONFIG: path.join(dir, 'tugboat.yml'),
        TUGBOAT_DATA_DIR: path.join(dir, 'data'),
        TUGBOAT_SHUTDOWN_GRACE: '2s',
        LOG_LEVEL: 'info',
      },
    });
    let output = '';
    main.stdout.on('data', (d) => (output += d));
    main.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => main.on('exit', (code) => resolve(code)));
    try {
      await waitUntil(
        'tugboat is ready',
        () =>
          fetch(`http://127.0.0.1:${port}/readyz`).then(
            (r) => r.ok,
            () => false,
          ),
        30_000,
      );
      const slack = new SlackSender({
        appUrl: `http://127.0.0.1:${port}/slack/events`,
        signingSecret: SECRETS.signingSecret,
        api: slackApi,
      });
      await slack.slashCommand({
        command: '/deploy',
        text: 'web to staging',
        userId: 'U0ALICE',
        channelId: 'C0STAGING',
      });
      await waitUntil('the script runs', () => fileExists(path.join(dir, 'child.1')));
      const pids = await pidsOf(dir, 1);

      const started = Date.now();
      main.kill('SIGTERM');
      expect(await exited).toBe(0);
      const took = Date.now() - started;
      expect(took).toBeGreaterThan(2_000);
      expect(took).toBeLessThan(12_000);
      expect(alive(pids.script) || alive(pids.child)).toBe(false);
      const store = await openStore({ dataDir: path.join(dir, 'data') });
      const [stopped] = await store.query<{ status: string; stop_reason: string }>(
        'select status, stop_reason from deploys where id = 1',
      );
      await store.close();
      expect(stopped).toEqual({ status: 'unknown', stop_reason: 'shutdown' });
      expect(
        slackApi
          .callsTo('chat.postMessage')
          .map((c) => String(c.args.text))
          .join('\n'),
      ).toContain('it had not finished after the 2s grace (`TUGBOAT_SHUTDOWN_GRACE`), so it was stopped');
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- tugboat's output:\n${output}`);
    } finally {
      if (main.exitCode === null) main.kill('SIGKILL');
      await slackApi.close();
      await githubApi.close();
    }
  }, 60_000);
});

describe.skipIf(!postgresBackend)('one deploy script per service and environment, across two replicas', () => {
  let replicas: Harness[] = [];
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    replicas = [];
    await db?.close();
  });

  async function twoReplicas(dir: string): Promise<[Harness, Harness]> {
    db = await postgresBackend!.open();
    const another = { ...db, store: await db.openAnother() };
    replicas = [
      await startHarness({ backend: postgresBackend!, db, commandCwd: dir, clock: new WallClock() }),
      await startHarness({ backend: postgresBackend!, db: another, commandCwd: dir, clock: new WallClock() }),
    ];
    for (const replica of replicas) seedRepo(replica, 'acme/web', ['w1', 'w2']);
    return replicas as [Harness, Harness];
  }

  it('/deploy cancel on one replica kills the script running on the other, process group and all, within seconds', async () => {
    const dir = await scriptsDir({ [sha('w2')]: 300 });
    const [a, b] = await twoReplicas(dir);
    await a.slack.slashCommand({
      command: '/deploy',
      text: 'web to staging',
      userId: 'U0ALICE',
      channelId: 'C0STAGING',
    });
    await waitUntil('the script runs', () => fileExists(path.join(dir, 'child.1')));
    const pids = await pidsOf(dir, 1);

    const started = Date.now();
    expect(await command(b, 'U0BOB', '/deploy cancel web to staging', 'C0STAGING')).toEqual([
      'Cancelled #1 (*web* to *staging*); its thread in <#C0STAGING> says what was stopped.',
    ]);
    await waitUntil('the script and its child are gone', () => !alive(pids.script) && !alive(pids.child), 10_000);
    const took = Date.now() - started;
    expect(took).toBeLessThan(6_500);
    await waitUntil('the lease is released', async () => (await row(a, 1)).lease_expires_at === null);
    expect(await row(a, 1)).toMatchObject({ status: 'failed', stop_reason: 'cancelled' });
    await a.slackApi.waitFor('chat.postMessage', (call) =>
      String(call.args.text).includes('The deploy script has stopped'),
    );
    console.log(`cancel on another replica: script group killed ${took} ms after /deploy cancel answered`);
  }, 60_000);

  it('a rollback on one replica stops the deploy running on the other, and starts only once its script stopped', async () => {
    const dir = await scriptsDir({ [sha('w2')]: 300 });
    const [a, b] = await twoReplicas(dir);
    await command(a, 'U0ALICE', `/deploy web ${sha('w1')} to staging`, 'C0STAGING');
    expect((await row(a, 1)).status).toBe('succeeded');
    await a.slack.slashCommand({
      command: '/deploy',
      text: `web ${sha('w2')} to staging`,
      userId: 'U0ALICE',
      channelId: 'C0STAGING',
    });
    await waitUntil('the slow script runs', () => fileExists(path.join(dir, 'child.2')));
    const pids = await pidsOf(dir, 2);

    const started = Date.now();
    await b.slack.slashCommand({ command: '/rollback', text: 'web staging', userId: 'U0BOB', channelId: 'C0STAGING' });
    await waitUntil('the superseded script is gone', () => !alive(pids.script) && !alive(pids.child), 10_000);
    const killedAfter = Date.now() - started;
    await waitUntil('the rollback finished', async () => (await row(b, 3))?.status === 'succeeded', 20_000);
    expect(killedAfter).toBeLessThan(6_500);
    expect(await readFile(path.join(dir, 'overlap.3'), 'utf8')).toBe('no\n');
    expect(await row(a, 2)).toMatchObject({ status: 'failed', stop_reason: 'superseded', lease_expires_at: null });
    await b.tugboat.settle();
    const rollback = channelMessages(b, 'C0STAGING').find((m) => m.text.includes('a rollback of *web*'))!;
    expect(
      threadOf(b, 'C0STAGING', rollback.ts)
        .map((m) => m.text)
        .join('\n'),
    ).toContain('Started once the script of #2 had stopped, so the two never ran at once.');
    console.log(`rollback on another replica: superseded script group killed ${killedAfter} ms after /rollback`);
  }, 60_000);
});
