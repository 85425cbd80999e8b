import { pullRequestPayload } from '../../src/fakes/review-payloads.ts';
import { deliver, runCommand, sleep, waitUntil } from '../people.ts';
import { Tally, type ChaosLine } from '../table.ts';
import { channelOf, PG_LOCK_ENVS, REVIEW_CHANNEL, SETTLE_MS, SMOKE_EVERY_MS, type World } from '../world.ts';
import { lockAnnouncements, reviewPings } from './seen.ts';

const RESTARTS = 5;
const BETWEEN_RESTARTS_MS = 4_000;
/** How long the server stays down in each restart: long enough that work meets it down. */
const DOWN_MS = 2_000;
const PULL_REQUESTS = Array.from({ length: 16 }, (_, i) => 101 + i);

/**
 * PostgreSQL restarted for real (`pg_ctl stop -m fast|immediate`, down 2 s, start) five times while
 * people lock and unlock environments on both replicas, GitHub delivers review requests, and a
 * smoke check runs every 5 s. Actions: each lock and each release announced once, each review
 * request's thread and ping posted once, each smoke check run recorded once.
 */
export async function postgresRestarts(world: World): Promise<ChaosLine> {
  const over = world.fault();
  const from = Date.now();
  let restarting = true;
  const locks = Promise.all(
    [0, 1].map(async (worker) => {
      for (const env of PG_LOCK_ENVS.filter((_, i) => i % 2 === worker)) {
        const channel = channelOf(env);
        await runCommand(world, 'U0ALICE', `/lock ${env}`, channel, () => lockAnnouncements(world, env).taken > 0);
        await sleep(1_000);
        await runCommand(world, 'U0ALICE', `/unlock ${env}`, channel, () => lockAnnouncements(world, env).released > 0);
      }
    }),
  );
  const reviews = (async () => {
    const sent: Array<Promise<unknown>> = [];
    for (const number of PULL_REQUESTS) {
      sent.push(
        deliver(
          world,
          'pull_request',
          pullRequestPayload('review_requested', { number, reviewers: ['bob'] }, { reviewer: 'bob' }),
        ),
      );
      await sleep(restarting ? 1_500 : 0);
    }
    await Promise.all(sent);
  })();
  for (let i = 0; i < RESTARTS; i++) {
    await sleep(BETWEEN_RESTARTS_MS);
    await world.postgres.restart(i % 2 === 0 ? 'fast' : 'immediate', DOWN_MS);
  }
  restarting = false;
  over();
  await Promise.all([locks, reviews]);
  const until = Date.now();

  const tally = new Tally();
  const count = () => {
    const seen = new Tally();
    for (const env of PG_LOCK_ENVS) {
      const { taken, released } = lockAnnouncements(world, env);
      seen.see(`lock ${env}`, taken);
      seen.see(`unlock ${env}`, released);
    }
    for (const number of PULL_REQUESTS) {
      const { threads, pings } = reviewPings(world, REVIEW_CHANNEL, number);
      seen.see(`thread #${number}`, threads);
      seen.see(`review ping #${number}`, pings);
    }
    return seen;
  };
  await waitUntil(() => count().line('', 0).lost === 0, SETTLE_MS);
  for (const [key, times] of count().entries()) tally.see(key, times);

  const smoke = await smokeRuns(world, from, until);
  for (const [tick, times] of smoke.recorded) tally.see(`smoke tick ${new Date(tick).toISOString()}`, times);
  return tally.line('PostgreSQL restarted, under commands, webhooks, checks', RESTARTS, [
    `smoke check: ${smoke.recorded.size} runs recorded, ${smoke.ticksWithoutRun} ticks skipped while the database was down (by design: the next tick runs)`,
  ]);
}

/**
 * Smoke check runs by tick, from the target's hits and the results recorded: a tick called twice
 * is a run done twice, a call with no result recorded is a run lost. Ticks of the last 3 s are
 * left out: their results may not be written yet.
 */
async function smokeRuns(world: World, from: number, until: number) {
  const tick = (at: number) => Math.floor(at / SMOKE_EVERY_MS) * SMOKE_EVERY_MS;
  const countBy = (times: number[]) =>
    times.reduce((counts, at) => counts.set(tick(at), (counts.get(tick(at)) ?? 0) + 1), new Map<number, number>());
  const settled = Date.now() - 3_000;
  const results = await world.query<{ started_at: Date }>(
    `select started_at from smoke_results where service = 'probe' and started_at >= $1`,
    [new Date(tick(from))],
  );
  const recorded = countBy(results.map((result) => result.started_at.getTime()));
  const hits = countBy(world.smoke.hits.filter((at) => at >= tick(from) && at <= Math.min(until, settled)));
  const runs = new Map(
    [...hits].map(([at, calls]) => [at, calls > 1 ? Math.max(calls, recorded.get(at) ?? 0) : (recorded.get(at) ?? 0)]),
  );
  const ticks = Math.floor((Math.min(until, settled) - tick(from)) / SMOKE_EVERY_MS);
  return { recorded: runs, ticksWithoutRun: Math.max(0, ticks - runs.size) };
}
