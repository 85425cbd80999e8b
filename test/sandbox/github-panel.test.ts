import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SANDBOX_CONFIG } from '../../src/sandbox/main.ts';
import { bootSandbox, waitFor, type TestSandbox } from './helpers.ts';

// The GitHub panel's events that move deploys: a merge pushes main (api auto-deploys to staging),
// and a deployment_status reports on a GitHub deployment (web is switched to github-deployment here).

let sandbox: TestSandbox & { dispose(): Promise<void> };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tugboat-sandbox-config-'));
  const yaml = (await readFile(SANDBOX_CONFIG, 'utf8')).replace(
    /(  web:\n(?:.*\n)*?    deploy: )\{ via: command, run: \["node", "sandbox-deploy.mjs"\], env: \[TUGBOAT_SANDBOX_URL\] \}/,
    '$1{ via: github-deployment }',
  );
  expect(yaml).toContain('{ via: github-deployment }');
  await writeFile(path.join(dir, 'sandbox.yml'), yaml);
  await cp(path.join(path.dirname(SANDBOX_CONFIG), 'sandbox-deploy.mjs'), path.join(dir, 'sandbox-deploy.mjs'));
  sandbox = await bootSandbox({ configPath: path.join(dir, 'sandbox.yml') });
});

afterAll(async () => {
  await sandbox?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const messages = async (channel: string) =>
  (await sandbox.get(`/api/channels/${channel}/messages`)).body.messages as Array<{ ts: string; text: string }>;

it('merging a pull request pushes main, and the auto-deploy to staging releases the merge commit', async () => {
  const { body } = await sandbox.post('/api/github/open_pr', {
    repo: 'acme-sandbox/api',
    author: 'carol-diaz',
    title: 'Add a cache',
  });
  expect((await sandbox.post('/api/github/merge', { repo: 'acme-sandbox/api', number: body.number })).body).toEqual({
    ok: true,
    sha: expect.stringMatching(/^[0-9a-f]{40}$/),
  });
  const merged = (await sandbox.get('/api/state')).body.github.repos[0].prs[0];
  expect(merged).toMatchObject({ number: body.number, state: 'merged' });
  const main = sandbox.githubApi.repo('acme-sandbox/api').branches.get('main')!;
  await waitFor(
    'staging to serve the merge commit',
    async () => {
      const response = await fetch(`${sandbox.url}/demo/api/staging/health`);
      return ((await response.json()) as { version: string }).version === main;
    },
    15_000,
  );
  expect(
    (await sandbox.post('/api/github/merge', { repo: 'acme-sandbox/api', number: body.number })).body.error,
  ).toMatch(/is merged already/);
});

it('a deployment_status from the panel finishes a github-deployment deploy', async () => {
  await sandbox.post('/api/command', { user: 'U0SANDBOX1', channel: 'C0SBSTAGING', text: '/deploy web to staging' });
  const pending = await waitFor(
    'a pending GitHub deployment',
    async () => (await sandbox.get('/api/state')).body.github.deployments[0],
  );
  expect(pending).toMatchObject({ repo: 'acme-sandbox/web', environment: 'staging', state: expect.any(String) });

  expect(await sandbox.post('/api/github/deployment_status', { deployment_id: pending.id, state: 'success' })).toEqual({
    status: 200,
    body: { ok: true },
  });
  await waitFor(
    'the announcement to say deployed',
    async () =>
      (await messages('C0SBSTAGING')).some((m) => m.text.startsWith(':white_check_mark:') && m.text.includes('*web*')),
    15_000,
  );
  expect((await sandbox.get('/api/state')).body.github.deployments).toEqual([]);
});
