import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { runWithLease } from '../../src/jobs/leases.ts';
import { createLogger } from '../../src/log.ts';
import { storeBackends, type TestDatabase } from '../helpers/stores.ts';

const log = createLogger({ level: 'silent' });

for (const backend of storeBackends) {
  describe(`scheduled jobs' leases on ${backend.name}`, () => {
    let db: TestDatabase;
    afterEach(() => db?.close());

    it('keeps the turn while a long job renews its lease, and gives it up when the job ends', async () => {
      db = await backend.open();
      const deps = { store: db.store, log };
      let finish!: () => void;
      const long = runWithLease(deps, 'reconcile', () => new Promise<void>((resolve) => (finish = resolve)), {
        leaseMs: 300,
        renewMs: 100,
      });
      await sleep(800);
      expect(await runWithLease(deps, 'reconcile', async () => undefined)).toBe(false);
      finish();
      expect(await long).toBe(true);
      expect(await runWithLease(deps, 'reconcile', async () => undefined)).toBe(true);
    });

    it('lets the next tick run once the lease of a holder that stopped renewing (a dead replica) has lapsed', async () => {
      db = await backend.open();
      const deps = { store: db.store, log };
      let finish!: () => void;
      const stuck = runWithLease(deps, 'sweep', () => new Promise<void>((resolve) => (finish = resolve)), {
        leaseMs: 200,
        renewMs: 60_000,
      });
      await sleep(50);
      expect(await runWithLease(deps, 'sweep', async () => undefined)).toBe(false);
      await sleep(300);
      expect(await runWithLease(deps, 'sweep', async () => undefined)).toBe(true);
      finish();
      await stuck;
    });

    it("does not let a holder whose lease lapsed release the next holder's turn", async () => {
      db = await backend.open();
      const deps = { store: db.store, log };
      let finishFirst!: () => void;
      let finishSecond!: () => void;
      const first = runWithLease(deps, 'sweep', () => new Promise<void>((resolve) => (finishFirst = resolve)), {
        leaseMs: 100,
        renewMs: 60_000,
      });
      await sleep(200);
      const second = runWithLease(deps, 'sweep', () => new Promise<void>((resolve) => (finishSecond = resolve)));
      await sleep(50);
      finishFirst();
      await first;
      expect(await runWithLease(deps, 'sweep', async () => undefined)).toBe(false);
      finishSecond();
      await second;
    });
  });
}
