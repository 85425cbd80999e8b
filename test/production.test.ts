import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeGitHubApi } from '../src/fakes/github-api.ts';
import { FakeSlackApi } from '../src/fakes/slack-api.ts';
import { SlackSender } from '../src/fakes/slack-client.ts';
import { buildDist, installProductionCopy, startBuiltTugboat } from './helpers/built-app.ts';
import { FIXTURE_CONFIG, SECRETS } from './helpers/harness.ts';

// The path the Dockerfile takes: `npm run build`, then a copy holding only dist/, package*.json and
// the production dependencies, started with `node dist/src/main.js` and NODE_ENV=production.
describe('the production build', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('starts from dist/ with production dependencies only, on a new PGlite folder, and answers /readyz and a signed /locks', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tugboat-production-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const appDir = path.join(dir, 'app');
    await buildDist();
    await installProductionCopy(appDir);
    expect(existsSync(path.join(appDir, 'node_modules', 'typescript')), 'dev dependencies were installed').toBe(false);

    const slackApi = await FakeSlackApi.start({ token: SECRETS.botToken });
    cleanup.push(() => slackApi.close());
    const githubApi = await FakeGitHubApi.start();
    cleanup.push(() => githubApi.close());
    await writeFile(path.join(dir, 'tugboat.yml'), FIXTURE_CONFIG);
    const tugboat = await startBuiltTugboat(appDir, {
      SLACK_BOT_TOKEN: SECRETS.botToken,
      SLACK_SIGNING_SECRET: SECRETS.signingSecret,
      SLACK_API_URL: slackApi.url,
      GITHUB_TOKEN: SECRETS.githubToken,
      GITHUB_WEBHOOK_SECRET: SECRETS.webhookSecret,
      GITHUB_API_URL: githubApi.url,
      TUGBOAT_CONFIG: path.join(dir, 'tugboat.yml'),
      TUGBOAT_DATA_DIR: path.join(dir, 'data'),
    });
    cleanup.push(() => tugboat.stop());

    const slack = new SlackSender({
      appUrl: `${tugboat.url}/slack/events`,
      signingSecret: SECRETS.signingSecret,
      api: slackApi,
    });
    const sent = await slack.slashCommand({ command: '/locks', text: '', userId: 'U0ALICE', channelId: 'C0DEPLOYS' });
    expect(sent.status).toBe(200);
    const answer = await slackApi.waitForResponse((r) => sent.responseUrl.endsWith(r.id), 10_000);
    expect(answer.body.text).toBe('No locks are held.');
    expect(tugboat.output()).toContain('migrations applied');
  }, 600_000);
});
