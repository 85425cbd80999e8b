import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootSandbox, waitFor, type TestSandbox } from './helpers.ts';

// With its first releases deployed at start (as `npm start` does), the sandbox can roll back:
// break what a deploy shipped, /rollback, and the demo service is healthy again.

let sandbox: TestSandbox & { dispose(): Promise<void> };

beforeAll(async () => {
  sandbox = await bootSandbox({ history: true });
  await sandbox.ready;
}, 60_000);

afterAll(async () => {
  await sandbox?.dispose();
});

const health = async () => {
  const response = await fetch(`${sandbox.url}/demo/api/production/health`);
  return { status: response.status, version: ((await response.json()) as { version: string }).version };
};

it('deploys the first release everywhere at start, so that a broken deploy can be rolled back', async () => {
  const { firstShas, repos } = sandbox.seeded;
  const prod = (await sandbox.get('/api/channels/C0SBPROD/messages')).body.messages as Array<{ text: string }>;
  expect(
    prod.filter((m) => m.text.startsWith(':white_check_mark:') && m.text.includes(firstShas.api.slice(0, 7))),
  ).toHaveLength(1);
  expect(await health()).toEqual({ status: 200, version: firstShas.api });

  const main = repos.find((r) => r.fullName === 'acme-sandbox/api')!.commits.at(-1)!;
  await sandbox.post('/api/command', { user: 'U0SANDBOX2', channel: 'C0SBPROD', text: '/deploy api to prod' });
  await waitFor('the deploy of main', async () => (await health()).version === main, 20_000);
  await sandbox.post('/api/demo/break', { service: 'api', environment: 'prod', broken: true });
  expect((await health()).status).toBe(500);

  await waitFor(
    'the deploy to finish',
    async () => {
      const messages = (await sandbox.get('/api/channels/C0SBPROD/messages')).body.messages as Array<{ text: string }>;
      return messages.some((m) => m.text.startsWith(':white_check_mark:') && m.text.includes(main.slice(0, 7)));
    },
    20_000,
  );
  expect(
    await sandbox.post('/api/command', { user: 'U0SANDBOX2', channel: 'C0SBPROD', text: '/rollback api prod' }),
  ).toEqual({ status: 200, body: { ok: true } });
  await waitFor(
    'the rollback to serve the first release again',
    async () => {
      const now = await health();
      return now.status === 200 && now.version === firstShas.api;
    },
    20_000,
  );
}, 60_000);
