import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startJobs } from '../../src/jobs/scheduler.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import { isDatabaseUnavailable } from '../../src/store/index.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { postgresBackend, type TestDatabase } from '../helpers/stores.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

const OUTAGE_ANSWER = 'tugboat cannot reach its database, nothing was done, try again in a minute.';

/** Sends a slash command, waits until tugboat has finished with it, and returns its ephemeral answers. */
async function command(h: Harness, userId: string, line: string, channelId = 'C0DEPLOYS') {
  const [name, ...rest] = line.split(' ');
  const sent = await h.slack.slashCommand({ command: name, text: rest.join(' '), userId, channelId });
  expect(sent.status).toBe(200);
  await h.tugboat.settle();
  return answersTo(h, sent.responseUrl);
}

const answersTo = (h: Harness, responseUrl: string) =>
  h.slackApi.responses.filter((r) => responseUrl.endsWith(r.id)).map((r) => String(r.body.text));
const postTexts = (h: Harness, channel: string) =>
  h.slackApi
    .callsTo('chat.postMessage')
    .filter((c) => c.response.ok && c.args.channel === channel)
    .map((c) => String(c.args.text));
const status = async (h: Harness, path: string) => (await fetch(`${h.url}${path}`)).status;

/** What would end the process outside vitest: an `error` event nobody listens to, a rejection nobody handles. */
function watchForCrashes() {
  const crashes: unknown[] = [];
  const record = (error: unknown) => crashes.push(error);
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  return {
    crashes,
    stop() {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
    },
  };
}

describe.runIf(postgresBackend)('PostgreSQL unreachable, then back', () => {
  let proxy: TcpProxy;
  let db: TestDatabase;
  let h: Harness;
  let crashWatch: ReturnType<typeof watchForCrashes>;

  beforeAll(async () => {
    const target = new URL(process.env.TEST_DATABASE_URL!);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
  });
  afterAll(() => proxy.close());

  /** tugboat's connections go through the proxy; the test's own (setup, clean-up) do not. */
  async function throughProxy(options: { max?: number; queryTimeoutMs?: number } = {}): Promise<TestDatabase> {
    const direct = await postgresBackend!.open();
    const store = openPostgres(proxy.route(direct.url!), { connectionTimeoutMs: 1_000, ...options });
    return {
      ...direct,
      store,
      async close() {
        await store.close().catch(() => undefined);
        await direct.close();
      },
    };
  }

  afterEach(async () => {
    proxy.restore();
    crashWatch?.stop();
    await h?.stop();
    await db?.close();
    expect(crashWatch?.crashes ?? []).toEqual([]);
  });

  it('answers 503 on /readyz, the outage sentence to commands and buttons, 503 to webhooks, and resumes by itself', async () => {
    db = await throughProxy();
    h = await startHarness({ backend: postgresBackend!, db });
    crashWatch = watchForCrashes();
    expect(await status(h, '/readyz')).toBe(200);
    await command(h, 'U0ALICE', '/lock prod for 1h release train');
    h.clock.advance(51 * 60_000);
    await h.tugboat.jobs.find((j) => j.name === 'lock-sweep')!.run();
    const [reminder] = h.slackApi.callsTo('chat.postMessage').filter((c) => c.args.channel === 'U0ALICE');
    const dm = String(reminder.response.channel);
    const clickRelease = () =>
      h.slack.blockAction({
        userId: 'U0ALICE',
        channelId: dm,
        actionId: 'lock_release',
        messageTs: String(reminder.response.ts),
      });

    proxy.cut();
    expect(await status(h, '/readyz')).toBe(503);
    expect(await status(h, '/healthz')).toBe(200);
    expect(await command(h, 'U0BOB', '/lock staging')).toEqual([OUTAGE_ANSWER]);
    const click = await clickRelease();
    await h.tugboat.settle();
    expect(answersTo(h, click.responseUrl)).toEqual([OUTAGE_ANSWER]);
    const delivery = await h.github.deliver('ping', { zen: 'Keep it logically awesome.', hook_id: 1 });
    expect(delivery.status).toBe(503);
    expect(postTexts(h, 'C0STAGING')).toEqual([]);

    proxy.restore();
    expect(await status(h, '/readyz')).toBe(200);
    expect(await command(h, 'U0BOB', '/lock staging')).toEqual([]);
    expect(postTexts(h, 'C0STAGING')).toEqual([expect.stringContaining('<@U0BOB> locked *staging*')]);
    await clickRelease();
    await h.tugboat.settle();
    expect(postTexts(h, 'C0DEPLOYS').at(-1)).toBe(':unlock: <@U0ALICE> released *production*.');
    const redelivered = await h.github.deliver(
      'ping',
      { zen: 'Keep it logically awesome.', hook_id: 1 },
      { deliveryId: delivery.deliveryId },
    );
    expect(redelivered.status).toBe(202);
  });

  it('gives up on a server that stopped answering without closing its connections (a failover), and recovers once it answers', async () => {
    db = await throughProxy({ queryTimeoutMs: 1_000 });
    h = await startHarness({ backend: postgresBackend!, db });
    crashWatch = watchForCrashes();
    expect(await command(h, 'U0ALICE', '/locks')).toHaveLength(1);

    proxy.blackhole();
    const started = Date.now();
    expect(await command(h, 'U0BOB', '/lock staging')).toEqual([OUTAGE_ANSWER]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await status(h, '/readyz')).toBe(503);

    proxy.restore();
    expect(await command(h, 'U0BOB', '/lock staging')).toEqual([]);
    expect(postTexts(h, 'C0STAGING')).toEqual([expect.stringContaining('<@U0BOB> locked *staging*')]);
  });

  it('skips job ticks while the database is unreachable, without crashing, and runs them again once it is back', async () => {
    db = await throughProxy();
    h = await startHarness({ backend: postgresBackend!, db });
    crashWatch = watchForCrashes();
    let ranAfterOutage = 0;
    const probe = {
      name: 'probe',
      schedule: '* * * * * *',
      run: async () => void (await db.store.query('select 1'), ranAfterOutage++),
    };
    const everySecond = [...h.tugboat.jobs.map((job) => ({ ...job, schedule: '* * * * * *' })), probe];
    proxy.cut();
    const jobs = startJobs(everySecond, h.tugboat.deps);
    try {
      await sleep(2_500);
      const skipped = h.logs.lines.filter(
        (line) => line.msg === 'database unreachable; skipped this tick of a scheduled job',
      );
      expect(new Set(skipped.map((line) => line.job))).toEqual(new Set(everySecond.map((job) => job.name)));
      expect(h.logs.lines.filter((line) => line.msg === 'scheduled job failed')).toEqual([]);

      expect(ranAfterOutage).toBe(0);

      proxy.restore();
      await sleep(1_500);
      const since = h.logs.lines.length;
      await sleep(1_200);
      expect(ranAfterOutage).toBeGreaterThan(0);
      expect(h.logs.lines.slice(since).filter((line) => String(line.msg).includes('scheduled job'))).toEqual([]);
    } finally {
      await jobs.stop();
    }
  });

  it('keeps no connection while a job waits on Slack: with a pool of one, a command still gets through', async () => {
    db = await throughProxy({ max: 1 });
    h = await startHarness({ backend: postgresBackend!, db });
    crashWatch = watchForCrashes();
    let slackAnswers!: () => void;
    let waiting!: () => void;
    const jobWaiting = new Promise<void>((resolve) => (waiting = resolve));
    const slowSlackCall = new Promise<void>((resolve) => (slackAnswers = resolve));
    const jobWaitingOnSlack = {
      name: 'slow-slack',
      schedule: '* * * * * *',
      run: async () => {
        await db.store.query('select 1');
        waiting();
        await slowSlackCall;
      },
    };
    const jobs = startJobs([jobWaitingOnSlack], h.tugboat.deps);
    try {
      await jobWaiting;
      expect(await command(h, 'U0ALICE', '/lock prod')).toEqual([]);
      expect(postTexts(h, 'C0DEPLOYS')).toEqual([expect.stringContaining('<@U0ALICE> locked *production*')]);
      const [lease] = await db.store.query<{ name: string }>('select name from job_leases');
      expect(lease.name).toBe('tugboat:job:slow-slack');
    } finally {
      slackAnswers();
      await jobs.stop();
    }
  });

  it('survives the connection dropping in the middle of a transaction, and the next one works', async () => {
    db = await throughProxy();
    crashWatch = watchForCrashes();
    const failed = await db.store
      .transaction(async (tx) => {
        await tx.query('select 1');
        proxy.cut();
        await sleep(100);
        proxy.restore();
        await tx.query('select 1');
      })
      .catch((error: unknown) => error);
    expect(isDatabaseUnavailable(failed)).toBe(true);
    expect(await db.store.transaction((tx) => tx.query<{ one: number }>('select 1 as one'))).toEqual([{ one: 1 }]);
  });
});
