import { afterEach, describe, expect, it } from 'vitest';
import {
  acquireLock,
  claimDueReminders,
  claimExpiredLocks,
  extendLock,
  findBlockingLock,
  listLocks,
  releaseLock,
  type LockScope,
} from '../../src/locks/index.ts';
import { postgresBackend, storeBackends, type TestDatabase } from '../helpers/stores.ts';

const t0 = new Date('2026-11-20T15:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const all: LockScope = { kind: 'all' };
const prod: LockScope = { kind: 'environment', environment: 'production' };
const staging: LockScope = { kind: 'environment', environment: 'staging' };
const apiProd: LockScope = { kind: 'service', environment: 'production', service: 'api' };
const webProd: LockScope = { kind: 'service', environment: 'production', service: 'web' };

const take = (db: TestDatabase, scope: LockScope, holder: string, now = t0, durationSeconds = 3600) =>
  acquireLock(db.store, { scope, holder, reason: 'testing', channel: 'C1', durationSeconds, now });

for (const backend of storeBackends) {
  describe(`locks on ${backend.name}`, () => {
    let db: TestDatabase;
    afterEach(() => db?.close());

    it('refuses every lock that overlaps a live one, above or below it', async () => {
      db = await backend.open();
      expect((await take(db, apiProd, 'U1')).ok).toBe(true);
      expect(await take(db, prod, 'U2')).toMatchObject({ ok: false, reason: 'held', lock: { holder: 'U1' } });
      expect(await take(db, all, 'U2')).toMatchObject({ ok: false, reason: 'held' });
      expect(await take(db, apiProd, 'U1')).toMatchObject({ ok: false, reason: 'already-yours' });
      expect((await take(db, webProd, 'U2')).ok).toBe(true);
      expect((await take(db, staging, 'U3')).ok).toBe(true);
      expect((await listLocks(db.store, t0)).map((l) => l.holder)).toEqual(['U1', 'U2', 'U3']);
    });

    it('lets a global freeze block every environment and service', async () => {
      db = await backend.open();
      await take(db, all, 'U1');
      for (const scope of [prod, staging, apiProd]) {
        expect(await take(db, scope, 'U2')).toMatchObject({ ok: false, lock: { scope: { kind: 'all' } } });
      }
      expect(
        await findBlockingLock(db.store, { environment: 'staging', service: 'api', actor: 'U2', now: t0 }),
      ).toMatchObject({ holder: 'U1' });
      expect(
        await findBlockingLock(db.store, { environment: 'staging', service: 'api', actor: 'U1', now: t0 }),
      ).toBeUndefined();
    });

    it('releases only for the holder, or for anyone with force, and records who', async () => {
      db = await backend.open();
      await take(db, prod, 'U1');
      expect(
        await releaseLock(db.store, { scope: prod, actor: 'U2', force: false, channel: 'C1', now: t0 }),
      ).toMatchObject({ ok: false, reason: 'not-holder' });
      expect(
        await releaseLock(db.store, { scope: prod, actor: 'UADMIN', force: true, channel: 'C9', now: t0 }),
      ).toMatchObject({
        ok: true,
        lock: { releaseKind: 'forced', releasedBy: 'UADMIN', holder: 'U1' },
      });
      const audit = await db.store.query<{ action: string; actor: string; channel: string }>(
        'select action, actor, channel from lock_events order by id',
      );
      expect(audit).toEqual([
        { action: 'acquired', actor: 'U1', channel: 'C1' },
        { action: 'forced', actor: 'UADMIN', channel: 'C9' },
      ]);
    });

    it('stops covering at expiry and announces each expiry once', async () => {
      db = await backend.open();
      await take(db, prod, 'U1', t0, 600);
      expect((await take(db, apiProd, 'U2', at(9))).ok).toBe(false);
      expect((await take(db, apiProd, 'U2', at(10))).ok).toBe(true);
      const [first, second] = await Promise.all([
        claimExpiredLocks(db.store, at(11)),
        claimExpiredLocks(db.store, at(11)),
      ]);
      expect([...first, ...second].map((l) => l.holder)).toEqual(['U1']);
      expect(await claimExpiredLocks(db.store, at(12))).toEqual([]);
    });

    it('reminds the holder ten minutes before expiry, once, and again after an extension', async () => {
      db = await backend.open();
      const taken = await take(db, prod, 'U1', t0, 3600);
      if (!taken.ok) throw new Error('not taken');
      expect(await claimDueReminders(db.store, at(49))).toEqual([]);
      expect((await claimDueReminders(db.store, at(50))).map((l) => l.id)).toEqual([taken.lock.id]);
      expect(await claimDueReminders(db.store, at(51))).toEqual([]);
      const extend = {
        lockId: taken.lock.id,
        seenExpiresAt: taken.lock.expiresAt,
        actor: 'U1',
        channel: 'D1',
        now: at(52),
      };
      const clicks = await Promise.all([extendLock(db.store, extend), extendLock(db.store, extend)]);
      expect(clicks.filter((c) => c.ok)).toHaveLength(1);
      expect(clicks.find((c) => !c.ok)).toMatchObject({ reason: 'already-extended' });
      expect((await listLocks(db.store, at(52)))[0].expiresAt).toEqual(at(120));
      expect((await claimDueReminders(db.store, at(110))).map((l) => l.id)).toEqual([taken.lock.id]);
    });

    it('does not remind about locks shorter than the reminder lead', async () => {
      db = await backend.open();
      await take(db, prod, 'U1', t0, 300);
      expect(await claimDueReminders(db.store, at(1))).toEqual([]);
    });
  });
}

describe.runIf(postgresBackend)('locks across replicas on real PostgreSQL', () => {
  let db: TestDatabase;
  afterEach(() => db?.close());

  it('gives a contested scope to exactly one of 20 simultaneous requests from 4 replicas', async () => {
    db = await postgresBackend!.open();
    const replicas = await Promise.all([1, 2, 3, 4].map(() => db.openAnother()));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        acquireLock(replicas[i % 4], {
          scope: apiProd,
          holder: `U${i}`,
          reason: '',
          channel: 'C1',
          durationSeconds: 60,
          now: t0,
        }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await listLocks(db.store, t0)).toHaveLength(1);
  });

  it('never lets two overlapping locks hold when different scopes race', async () => {
    db = await postgresBackend!.open();
    const replicas = await Promise.all([1, 2, 3, 4].map(() => db.openAnother()));
    const scopes = [apiProd, webProd, prod, all, staging];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        acquireLock(replicas[i % 4], {
          scope: scopes[i % 5],
          holder: `U${i}`,
          reason: '',
          channel: 'C1',
          durationSeconds: 60,
          now: t0,
        }),
      ),
    );
    const live = await listLocks(db.store, t0);
    const env = (s: LockScope) => (s.kind === 'all' ? '*' : s.environment);
    const overlaps = (a: LockScope, b: LockScope) =>
      env(a) === '*' ||
      env(b) === '*' ||
      (env(a) === env(b) && (a.kind !== 'service' || b.kind !== 'service' || a.service === b.service));
    for (const [i, a] of live.entries())
      for (const b of live.slice(i + 1)) expect(overlaps(a.scope, b.scope)).toBe(false);
    expect(live.length).toBeGreaterThanOrEqual(1);
  });

  it('releases once when three unlocks race', async () => {
    db = await postgresBackend!.open();
    const replicas = await Promise.all([1, 2, 3].map(() => db.openAnother()));
    await take(db, prod, 'U1');
    const results = await Promise.all(
      replicas.map((r) => releaseLock(r, { scope: prod, actor: 'U1', force: false, channel: 'C1', now: t0 })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'none')).toHaveLength(2);
  });
});
