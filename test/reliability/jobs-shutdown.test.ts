import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startJobs } from '../../src/jobs/scheduler.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { testLogger, LogCapture } from '../helpers/logs.ts';
import { storeBackends, type TestDatabase } from '../helpers/stores.ts';

/** A scheduled job, every second, whose tick waits until the test lets it finish. */
function heldJob(
  name: string,
  finish: (store: Harness['db']['store']) => Promise<unknown>,
  store: Harness['db']['store'],
) {
  let release!: () => void;
  let started!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const tickStarted = new Promise<void>((resolve) => (started = resolve));
  const job = {
    name,
    schedule: '* * * * * *',
    run: async () => {
      started();
      await released;
      await finish(store);
    },
  };
  return { job, tickStarted, release };
}

const stillRunningAfter = async (work: Promise<unknown>, ms: number) =>
  (await Promise.race([work.then(() => false), sleep(ms).then(() => true)])) as boolean;

for (const backend of storeBackends) {
  describe(`scheduled jobs at shutdown on ${backend.name}`, () => {
    let h: Harness | undefined;
    let db: TestDatabase | undefined;
    afterEach(async () => {
      await h?.stop();
      await db?.close();
      h = db = undefined;
    });

    it('lets a tick in progress finish its database work before the database closes', async () => {
      const harness = await startHarness({ backend });
      h = harness;
      let answer: unknown;
      const held = heldJob(
        'slow-report',
        async (store) => (answer = await store.query<{ one: number }>('select 1 as one')),
        harness.db.store,
      );
      harness.tugboat.jobs.push(held.job);
      harness.tugboat.startJobs();
      await held.tickStarted;

      h = undefined;
      const stopping = harness.stop();
      expect(await stillRunningAfter(stopping, 300)).toBe(true);
      held.release();
      await stopping;

      expect(answer).toEqual([{ one: 1 }]);
      expect(harness.logs.raw.join('\n')).not.toMatch(/scheduled job failed|after calling end|closed/i);
    });

    it('stops without a tick that outlasts the wait, and says so', async () => {
      db = await backend.open();
      const logs = new LogCapture();
      const held = heldJob('stuck-report', async () => undefined, db.store);
      const jobs = startJobs([held.job], { store: db.store, log: testLogger(logs) }, 200);
      await held.tickStarted;

      const startedAt = Date.now();
      await jobs.stop();

      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
      expect(logs.lines).toContainEqual(
        expect.objectContaining({ msg: 'scheduled jobs still running at shutdown; stopping without them', ticks: 1 }),
      );
      held.release();
    });
  });
}
