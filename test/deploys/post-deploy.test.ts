import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, listenOnLoopback } from '../../src/fakes/http.ts';
import { FIXTURE_CONFIG, startHarness, type Harness } from '../helpers/harness.ts';
import {
  channelMessages,
  command,
  githubDeployments,
  reportDeploymentStatus,
  seedRepo,
  sha,
  threadOf,
} from '../helpers/deploys.ts';
import { storeBackends } from '../helpers/stores.ts';

/** The service as users see it: healthy or not, as the test says. */
async function service() {
  const state = { healthy: true };
  const server = http.createServer((_req, res) =>
    res.writeHead(state.healthy ? 200 : 503).end(state.healthy ? 'ok' : 'down'),
  );
  return { state, url: `${await listenOnLoopback(server)}/healthz`, close: () => closeServer(server) };
}

const withSmoke = (url: string) =>
  FIXTURE_CONFIG.replace(
    '    rollback: { max_releases: 3, max_age: 14d }',
    `    rollback: { max_releases: 3, max_age: 14d }\n    smoke:\n      staging:\n        - name: health\n          url: ${url}\n          expect: { status: 200, body_contains: ok }\n          timeout: 2s`,
  );

describe('after a successful deploy', () => {
  let h: Harness;
  let api: Awaited<ReturnType<typeof service>>;
  afterEach(async () => {
    await h?.stop();
    await api?.close();
  });

  it('runs the environment’s smoke checks once, posts the result in the thread, and offers a rollback on failure', async () => {
    api = await service();
    h = await startHarness({ backend: storeBackends[0], configYaml: withSmoke(api.url) });
    seedRepo(h, 'acme/api', ['v1', 'v2', 'v3']);
    await command(h, 'U0ALICE', `/deploy api ${sha('v1')} to staging`, 'C0STAGING');
    await reportDeploymentStatus(h, 'acme/api', githubDeployments(h, 'acme/api')[0].id, 'success');
    const [first] = channelMessages(h, 'C0STAGING');
    expect(threadOf(h, 'C0STAGING', first.ts).at(-1)!.text).toMatch(/Smoke checks passed[\s\S]*health: 200 in \d+ ms/);

    api.state.healthy = false;
    await command(h, 'U0ALICE', `/deploy api ${sha('v2')} to staging`, 'C0STAGING');
    await reportDeploymentStatus(h, 'acme/api', githubDeployments(h, 'acme/api')[1].id, 'success');
    const second = channelMessages(h, 'C0STAGING')[1];
    const smoke = threadOf(h, 'C0STAGING', second.ts).at(-1)!;
    expect(smoke.text).toContain('Smoke checks failed after the deploy');
    expect(smoke.text).toContain('health: expected status 200, got 503');
    expect(JSON.stringify(smoke.blocks)).toContain('deploy_rollback');

    // A release whose smoke checks failed is never a rollback target.
    api.state.healthy = true;
    await command(h, 'U0ALICE', `/deploy api ${sha('v3')} to staging`, 'C0STAGING');
    await reportDeploymentStatus(h, 'acme/api', githubDeployments(h, 'acme/api')[2].id, 'success');
    await command(h, 'U0BOB', '/rollback api staging');
    expect(githubDeployments(h, 'acme/api').at(-1)!.sha).toBe(sha('v1'));
  });
});
