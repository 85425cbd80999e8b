import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootSandbox, waitFor, type TestSandbox } from './helpers.ts';

// The sandbox booted in-process, used only through its HTTP API, as the page uses it.

const ALICE = 'U0SANDBOX1'; // admin, deploys to production
const BOB = 'U0SANDBOX2'; // deploys to production
const PROD = 'C0SBPROD';
const REVIEWS = 'C0SBREVIEWS';

let sandbox: TestSandbox & { dispose(): Promise<void> };

beforeAll(async () => {
  sandbox = await bootSandbox();
});

afterAll(async () => {
  await sandbox?.dispose();
});

const messages = async (channel: string) =>
  (await sandbox.get(`/api/channels/${channel}/messages`)).body.messages as Array<Record<string, any>>;
const ephemerals = async (user: string) =>
  (await sandbox.get(`/api/ephemerals?user=${user}`)).body.ephemerals as Array<Record<string, any>>;
const command = (user: string, channel: string, text: string) => sandbox.post('/api/command', { user, channel, text });

describe('the sandbox', () => {
  it('describes the workspace, the people, the repositories and the demo service', async () => {
    const { status, body } = await sandbox.get('/api/state');
    expect(status).toBe(200);
    expect(body.team).toEqual({ id: 'T0TUGBOAT', name: expect.any(String) });
    expect(body.bot).toEqual({ id: 'U0TUGBOAT', name: 'tugboat' });
    expect(body.users).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: ALICE, name: 'alice', real_name: 'Alice Chen' })]),
    );
    expect(body.channels.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['deploys-staging', 'deploys-production', 'code-review', 'team-api', 'general']),
    );
    expect(body.commands.map((c: { command: string }) => c.command)).toEqual([
      '/deploy',
      '/rollback',
      '/lock',
      '/unlock',
      '/locks',
      '/tugboat',
    ]);
    expect(body.services).toEqual([
      { name: 'api', repo: 'acme-sandbox/api', environments: ['staging', 'production'] },
      { name: 'web', repo: 'acme-sandbox/web', environments: ['staging', 'production'] },
    ]);
    expect(body.github.repos.map((r: { fullName: string }) => r.fullName)).toEqual([
      'acme-sandbox/api',
      'acme-sandbox/web',
    ]);
    expect(body.github.logins).toContainEqual({ login: 'alice-chen', slackUser: ALICE });
    expect(body.github.deployments).toEqual([]);
    expect(body.demo).toHaveLength(4);
    expect(body.demo[0]).toMatchObject({
      service: 'api',
      environment: 'staging',
      sha: sandbox.seeded.firstShas.api,
      broken: false,
    });
  });

  it('shows a lock in the channel, and refuses the same lock to someone else in an ephemeral only they see', async () => {
    expect(await command(ALICE, PROD, '/lock prod for 30m migrating')).toEqual({ status: 200, body: { ok: true } });
    const announced = await waitFor('the lock announcement', async () =>
      (await messages(PROD)).find((m) => m.text.includes('locked *production*')),
    );
    expect(announced.text).toContain(`<@${ALICE}>`);

    expect(await command(BOB, PROD, '/lock prod')).toEqual({ status: 200, body: { ok: true } });
    const refusal = await waitFor('the refusal', async () =>
      (await ephemerals(BOB)).find((e) => e.text.includes('is locked by')),
    );
    expect(refusal).toMatchObject({ channel: PROD, user: BOB });
    expect(refusal.text).toContain(`<@${ALICE}>`);
    expect((await ephemerals(ALICE)).some((e) => e.text.includes('is locked by'))).toBe(false);
    expect((await messages(PROD)).some((m) => m.text.includes('is locked by'))).toBe(false);

    await command(ALICE, PROD, '/unlock prod');
    await waitFor('the release', async () => (await messages(PROD)).find((m) => /unlocked|released/.test(m.text)));
  });

  it('deploys through a button: --plan, then Deploy, updates the announcement in place and the demo serves the new commit', async () => {
    const main = sandbox.seeded.repos.find((r) => r.fullName === 'acme-sandbox/api')!.commits.at(-1)!;
    await command(ALICE, PROD, '/deploy api to prod --plan');
    const plan = await waitFor('the plan', async () =>
      (await ephemerals(ALICE)).find((e) => JSON.stringify(e.blocks ?? []).includes('"Deploy"')),
    );
    const button = (plan.blocks as Array<Record<string, any>>)
      .flatMap((b) => b.elements ?? [])
      .find((e: Record<string, any>) => e.type === 'button');

    const clicked = await sandbox.post('/api/action', {
      user: ALICE,
      channel: PROD,
      message_ts: plan.ts,
      ephemeral: true,
      action_id: button.action_id,
    });
    expect(clicked).toEqual({ status: 200, body: { ok: true } });

    const announcement = await waitFor('the announcement', async () =>
      (await messages(PROD)).find((m) => m.text.includes('*api*') && m.text.includes(main.slice(0, 7))),
    );
    const done = await waitFor(
      'the announcement updated to success',
      async () => {
        const now = (await messages(PROD)).find((m) => m.ts === announcement.ts);
        return now?.text.startsWith(':white_check_mark:') && now;
      },
      15_000,
    );
    expect(done.edited).toBeDefined();
    const health = await fetch(`${sandbox.url}/demo/api/production/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ version: main });
    const thread = (await sandbox.get(`/api/channels/${PROD}/thread/${announcement.ts}`)).body.messages;
    expect(thread[0].ts).toBe(announcement.ts);
    expect(thread.map((m: { text: string }) => m.text).join('\n')).toContain('now serves');
  });

  it('pings the reviewer in the pull request thread when a PR is opened and review is requested', async () => {
    const opened = await sandbox.post('/api/github/open_pr', {
      repo: 'acme-sandbox/api',
      author: 'bob-okafor',
      title: 'Speed up checkout',
    });
    expect(opened).toEqual({ status: 200, body: { ok: true, number: 1 } });
    expect(
      await sandbox.post('/api/github/request_review', { repo: 'acme-sandbox/api', number: 1, reviewer: 'alice-chen' }),
    ).toEqual({ status: 200, body: { ok: true } });
    const root = await waitFor('the PR root message', async () =>
      (await messages(REVIEWS)).find((m) => m.text.includes('Speed up checkout')),
    );
    const ping = await waitFor('the review ping in its thread', async () => {
      const thread = (await sandbox.get(`/api/channels/${REVIEWS}/thread/${root.ts}`)).body.messages as Array<{
        text: string;
      }>;
      return thread.slice(1).find((m) => m.text.includes(`<@${ALICE}>`));
    });
    expect(ping).toBeDefined();
    const state = (await sandbox.get('/api/state')).body;
    const api = state.github.repos.find((r: { fullName: string }) => r.fullName === 'acme-sandbox/api');
    expect(api.prs).toEqual([
      expect.objectContaining({
        number: 1,
        title: 'Speed up checkout',
        author: 'bob-okafor',
        state: 'open',
        requested_reviewers: ['alice-chen'],
      }),
    ]);

    expect(
      (
        await sandbox.post('/api/github/review', {
          repo: 'acme-sandbox/api',
          number: 1,
          reviewer: 'alice-chen',
          state: 'approved',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await sandbox.post('/api/github/comment', {
          repo: 'acme-sandbox/api',
          number: 1,
          author: 'bob-okafor',
          body: 'ready for review @carol-diaz',
        })
      ).status,
    ).toBe(200);
    await waitFor('the ready-for-review ping', async () => {
      const thread = (await sandbox.get(`/api/channels/${REVIEWS}/thread/${root.ts}`)).body.messages as Array<{
        text: string;
      }>;
      return thread.some((m) => m.text.includes('<@U0SANDBOX3>'));
    });
  });

  it('streams an event when a message is posted', async () => {
    const controller = new AbortController();
    const response = await fetch(`${sandbox.url}/api/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    const sawPost = (async () => {
      while (!received.includes('"kind":"chat.postMessage"')) {
        const { value, done } = await reader.read();
        if (done) break;
        received += decoder.decode(value, { stream: true });
      }
      return received;
    })();
    await waitFor('the event stream to be connected', () => sandbox.events.clients > 0);
    await command(ALICE, 'C0SBSTAGING', '/lock staging');
    expect(await sawPost).toContain('data: {"kind":"chat.postMessage"}');
    controller.abort();
    await command(ALICE, 'C0SBSTAGING', '/unlock staging');
  });

  it('breaks production on demand: the health endpoint answers 500 until another commit is deployed', async () => {
    const before = await fetch(`${sandbox.url}/demo/web/prod/health`);
    expect(before.status).toBe(200);
    const broken = await sandbox.post('/api/demo/break', { service: 'web', environment: 'production', broken: true });
    expect(broken.body).toMatchObject({ ok: true, demo: { service: 'web', environment: 'production', broken: true } });
    expect((await fetch(`${sandbox.url}/demo/web/production/health`)).status).toBe(500);
    expect((await sandbox.get('/api/state')).body.demo).toContainEqual(
      expect.objectContaining({ service: 'web', environment: 'production', broken: true }),
    );

    // A release of another commit is not broken: that is what Roll back relies on.
    const other = sandbox.seeded.repos.find((r) => r.fullName === 'acme-sandbox/web')!.commits[1];
    sandbox.demo.release('web', 'production', other);
    expect((await fetch(`${sandbox.url}/demo/web/production/health`)).status).toBe(200);
    sandbox.demo.release('web', 'production', sandbox.seeded.firstShas.web);
    expect((await fetch(`${sandbox.url}/demo/web/production/health`)).status).toBe(500);
    await sandbox.post('/api/demo/break', { service: 'web', environment: 'production', broken: false });
    expect((await fetch(`${sandbox.url}/demo/web/production/health`)).status).toBe(200);
  });

  it('answers bad requests with 400 and a sentence', async () => {
    expect(await command(ALICE, PROD, '/lokc prod')).toEqual({
      status: 400,
      body: { ok: false, error: expect.stringMatching(/^\/lokc is not a valid command\. tugboat has \/deploy, /) },
    });
    expect((await command('U0NOBODY', PROD, '/locks')).body.error).toMatch(/U0NOBODY is not a person in the sandbox/);
    expect((await sandbox.post('/api/command', { user: ALICE, channel: PROD })).body.error).toMatch(
      /^text is required/,
    );
    expect((await sandbox.post('/api/command', 'not json')).body).toEqual({
      ok: false,
      error: 'The request body is not JSON.',
    });
    expect(
      (await sandbox.post('/api/action', { user: ALICE, channel: PROD, message_ts: '1.000001', action_id: 'x' }))
        .status,
    ).toBe(404);
    expect(
      (await sandbox.post('/api/github/open_pr', { repo: 'acme/nope', author: 'alice-chen', title: 't' })).body.error,
    ).toMatch(/no repository acme\/nope/);
    expect(
      (await sandbox.post('/api/github/open_pr', { repo: 'acme-sandbox/api', author: 'mallory', title: 't' })).body
        .error,
    ).toMatch(/mallory is not one of the sandbox's people/);
    expect(
      (
        await sandbox.post('/api/github/review', {
          repo: 'acme-sandbox/api',
          number: 1,
          reviewer: 'alice-chen',
          state: 'meh',
        })
      ).body.error,
    ).toMatch(/state must be approved or changes_requested/);
    expect((await sandbox.post('/api/github/teleport', {})).status).toBe(404);
    expect((await sandbox.post('/api/github/deployment_status', { deployment_id: 99, state: 'success' })).status).toBe(
      404,
    );
    expect(
      (await sandbox.post('/api/demo/break', { service: 'db', environment: 'production', broken: true })).body.error,
    ).toMatch(/no db in production/);
    expect((await sandbox.get('/api/channels/C0NOPE/messages')).status).toBe(404);
    expect((await sandbox.get('/api/ephemerals')).status).toBe(400);
  });

  it('serves the page and its files, and nothing outside them', async () => {
    const page = await sandbox.get('/');
    expect(page.status).toBe(200);
    expect(page.contentType).toBe('text/html; charset=utf-8');
    expect((await sandbox.get('/page/..%2F..%2Fmain.ts')).status).toBe(404);
    expect((await sandbox.get('/page/nothing-here.js')).status).toBe(404);
    const logs = await sandbox.get('/logs?service=web&env=production');
    expect(logs.contentType).toContain('text/plain');
    expect(logs.body).toContain('production broken');
  });
});
