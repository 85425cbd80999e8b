import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURE_CONFIG, SECRETS, startHarness, type Harness } from '../helpers/harness.ts';
import { channelMessages, command, seedRepo, sha, threadOf } from '../helpers/deploys.ts';
import { storeBackends } from '../helpers/stores.ts';
import { freePort } from '../../src/fakes/http.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('the shipped examples', () => {
  let h: Harness;
  const stops: Array<() => void> = [];
  afterEach(async () => {
    stops.splice(0).forEach((stop) => stop());
    await h?.stop();
  });

  it('examples/deploy.sh deploys through the command executor', async () => {
    const config = FIXTURE_CONFIG.replace('run: ["./scripts/deploy.sh"]', 'run: ["./examples/deploy.sh"]');
    h = await startHarness({ backend: storeBackends[0], configYaml: config, commandCwd: ROOT });
    seedRepo(h, 'acme/web', ['w1']);
    await command(h, 'U0ALICE', '/deploy web to staging', 'C0STAGING');
    const [done] = channelMessages(h, 'C0STAGING');
    expect(done.text).toContain(':white_check_mark: <@U0ALICE> deployed *web*');
    expect(
      threadOf(h, 'C0STAGING', done.ts)
        .map((m) => m.text)
        .join('\n'),
    ).toContain(`Deploying web ${sha('w1')}`);
  });

  /** Runs examples/webhook-receiver.mjs with DEPLOY_COMMAND, and tugboat with api deploying through it; returns its port. */
  async function startExampleReceiver(deployCommand: string): Promise<number> {
    const port = await freePort();
    const receiver = spawn(process.execPath, ['examples/webhook-receiver.mjs'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        TUGBOAT_WEBHOOK_SECRET: SECRETS.deployWebhookSecret,
        DEPLOY_COMMAND: deployCommand,
      },
      stdio: 'pipe',
    });
    stops.push(() => receiver.kill());
    await new Promise<void>((resolve) =>
      receiver.stdout.on('data', (d) => String(d).includes('listening') && resolve()),
    );
    const config = FIXTURE_CONFIG.replace(
      'deploy: { via: github-deployment }',
      `deploy: { via: webhook, url: "http://127.0.0.1:${port}/deploy" }`,
    );
    h = await startHarness({ backend: storeBackends[0], configYaml: config, publicUrl: 'self' });
    return port;
  }

  it('examples/webhook-receiver.mjs accepts a signed deploy and reports it back to tugboat', async () => {
    await startExampleReceiver('./examples/deploy.sh');
    seedRepo(h, 'acme/api', ['one']);
    await command(h, 'U0ALICE', '/deploy api to staging', 'C0STAGING');
    await h.slackApi.waitFor('chat.update', (c) => String(c.args.text).includes('deployed *api*'), 10_000);
    await h.tugboat.settle();
    const [done] = channelMessages(h, 'C0STAGING');
    expect(done.text).toContain(':white_check_mark: <@U0ALICE> deployed *api*');
    expect(
      threadOf(h, 'C0STAGING', done.ts)
        .map((m) => m.text)
        .join('\n'),
    ).toContain('Receiver: running');
  });

  it('examples/webhook-receiver.mjs stops the deploy it runs when tugboat sends a signed cancel', async () => {
    const port = await startExampleReceiver('sleep 60');
    seedRepo(h, 'acme/api', ['one']);
    await command(h, 'U0ALICE', '/deploy api to staging', 'C0STAGING');
    await h.slackApi.waitFor('chat.postMessage', (c) => String(c.args.text).includes('Receiver: running'), 10_000);
    await command(h, 'U0ALICE', '/deploy cancel api to staging', 'C0STAGING');
    const [cancelled] = channelMessages(h, 'C0STAGING');
    expect(
      threadOf(h, 'C0STAGING', cancelled.ts)
        .map((m) => m.text)
        .join('\n'),
    ).toContain(`Stopped on the other side: the receiver at 127.0.0.1:${port} was told to cancel.`);
  });
});
