import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { answersTo, channelMessages, seedRepo, sha } from '../helpers/deploys.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { storeBackends } from '../helpers/stores.ts';
import { incidentChannels, PEOPLE, waitUntil } from '../incidents/helpers.ts';
import { startTestServer, type TestServer } from '../smoke/helpers.ts';

/** Waits, without polling, until the file at argv[1] exists: a deploy that stays in flight until the test lets it finish. */
const WAIT_FOR_GATE =
  "const fs = require('fs'); setInterval(() => { if (fs.existsSync(process.argv[1])) process.exit(0); }, 25)";

const config = (withOld: { gate: string; health: string } | undefined) => `
admins: [U0ADMIN]
environments:
  staging:
    channel: C0STAGING
  production:
    channel: C0DEPLOYS
    deployers: [U0ALICE, U0BOB]
services:
  api:
    repo: acme/api
    environments: [staging, production]
    deploy: { via: github-deployment }
    owners: [U0ALICE]
${
  withOld
    ? `  old:
    repo: acme/old
    environments: [production]
    deploy:
      via: command
      run: ["node", "-e", ${JSON.stringify(WAIT_FOR_GATE)}, ${JSON.stringify(withOld.gate)}]
    owners: [U0CAROL]
    smoke:
      production:
        - name: health
          url: ${withOld.health}
          timeout: 1s
`
    : ''
}incidents:
  failures_before_alert: 3
`;

const buttonsOf = (message: { blocks?: unknown }) =>
  ((message.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>)
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);

for (const backend of storeBackends) {
  describe(`a config reload that removes a service, on ${backend.name}`, () => {
    let h: Harness;
    let server: TestServer;
    let dir: string;
    afterEach(async () => {
      await h?.stop();
      await server?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** A slash command whose answer is awaited without `settle()`, which would wait for the running deploy. */
    async function ask(user: string, line: string, channelId: string): Promise<string> {
      const [name, ...rest] = line.split(' ');
      const sent = await h.slack.slashCommand({ command: name, text: rest.join(' '), userId: user, channelId });
      return waitUntil(`an answer to ${line}`, () => answersTo(h, sent.responseUrl)[0]);
    }
    const deployOf = async (id: number) =>
      (await h.db.store.query<{ status: string }>('select status from deploys where id = $1', [id]))[0]?.status;
    const errorLogs = () => h.logs.lines.filter((line) => (line.level as number) >= 50);

    it('drops the queued deploy with a note, lets the running one finish and report, keeps the incident resolvable, and shows it as removed', async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'tugboat-reload-'));
      const gate = path.join(dir, 'finish');
      server = await startTestServer();
      server.answer('/health', 503, 'down');
      h = await startHarness({ backend, configYaml: config({ gate, health: `${server.origin}/health` }) });
      for (const id of PEOPLE) h.slackApi.addUser({ id, name: id.slice(2).toLowerCase() });
      seedRepo(h, 'acme/api', ['one']);
      seedRepo(h, 'acme/old', ['one']);

      // An open incident of `old` in production.
      for (let i = 0; i < 3; i++) {
        await h.tugboat.smoke.runNow('old', 'production');
        h.clock.advance(1000);
      }
      await h.tugboat.settle();
      const [incidentChannel] = incidentChannels(h);
      expect(incidentChannel).toBeDefined();

      // A deploy in flight (its script waits), and one queued behind it.
      await h.slack.slashCommand({
        command: '/deploy',
        text: 'old to production',
        userId: 'U0ALICE',
        channelId: 'C0DEPLOYS',
      });
      await waitUntil('the deploy runs', async () => (await deployOf(1)) === 'running');
      const sent = await h.slack.slashCommand({
        command: '/deploy',
        text: 'old to production',
        userId: 'U0BOB',
        channelId: 'C0DEPLOYS',
      });
      const refusal = await waitUntil('the refusal', () =>
        h.slackApi.responses.find((r) => sent.responseUrl.endsWith(r.id)),
      );
      const queueMe = buttonsOf(refusal.body as { blocks?: unknown }).find((b) => b.action_id === 'deploy_queue')!;
      const click = await h.slack.blockAction({
        userId: 'U0BOB',
        channelId: 'C0DEPLOYS',
        actionId: 'deploy_queue',
        value: queueMe.value,
      });
      await waitUntil('Bob is queued', () => answersTo(h, click.responseUrl)[0]?.includes('position 1'));
      // The click goes on to try the queue (still blocked); everything but the running script settles.
      await h.tugboat.settle(500);

      h.tugboat.setConfig(parseConfig(config(undefined), 'tugboat.yml'));
      const status = await ask('U0ADMIN', '/tugboat status', 'C0DEPLOYS');
      expect(status).toContain('*removed from tugboat.yml*');
      expect(status).toContain(
        `old in production: :rocket: deploying \`${sha('one').slice(0, 7)}\` (#1) for <@U0ALICE> · queue: <@U0BOB> (\`main\`)`,
      );

      // Every job runs on, without throwing, several times over (the clock stays put: the script's lease is renewed on real time).
      for (let tick = 0; tick < 3; tick++) {
        for (const job of h.tugboat.jobs) await job.run();
      }
      const note = await waitUntil('Bob is told', () =>
        h.slackApi.callsTo('chat.postMessage').find((c) => c.args.channel === 'U0BOB'),
      );
      expect(note.args.text).toBe(
        ':wastebasket: Your queued deploy of *old* (`main`) to *production* was dropped: *old* was removed from tugboat.yml.',
      );
      expect(await h.db.store.query(`select state, detail from deploy_queue`)).toEqual([
        { state: 'dropped', detail: 'service removed from tugboat.yml' },
      ]);
      expect(await deployOf(1)).toBe('running');

      // The running deploy finishes and is reported in place, its commit shown without the link the config gave.
      await writeFile(gate, '');
      await waitUntil('the deploy finishes', async () => (await deployOf(1)) === 'succeeded');
      await h.tugboat.settle();
      const announcement = channelMessages(h, 'C0DEPLOYS').find((m) => m.text.includes('<@U0ALICE>'))!;
      expect(announcement.text).toBe(
        `:white_check_mark: <@U0ALICE> deployed *old* \`${sha('one').slice(0, 7)}\` (\`main\`) to *production*`,
      );
      const status2 = await ask('U0ADMIN', '/tugboat status', 'C0DEPLOYS');
      expect(status2).not.toContain('removed from tugboat.yml');

      // The incident: its owner left with the service; an admin resolves it.
      const [first] = channelMessages(h, incidentChannel.id);
      const resolve = async (user: string, actionId: string, messageTs: string) => {
        const click = await h.slack.blockAction({ userId: user, channelId: incidentChannel.id, actionId, messageTs });
        await h.tugboat.settle();
        return answersTo(h, click.responseUrl);
      };
      expect(await resolve('U0CAROL', 'incident_resolve', first.ts)).toEqual([expect.stringContaining('<@U0ADMIN>')]);
      expect(await resolve('U0ADMIN', 'incident_resolve', first.ts)).toEqual([
        expect.stringContaining('Resolve anyway?'),
      ]);
      const confirm = h.slackApi.ephemerals('U0ADMIN').at(-1)!;
      await resolve('U0ADMIN', 'incident_resolve_confirm', confirm.ts);
      expect(channelMessages(h, incidentChannel.id).at(-1)!.text).toContain('<@U0ADMIN> resolved the incident');
      expect(channelMessages(h, 'C0DEPLOYS').at(-1)!.text).toContain('was resolved by <@U0ADMIN>');

      expect(errorLogs()).toEqual([]);
    });
  });
}
