import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.ts';
import type { GitHub } from '../../src/github/client.ts';
import { type DeployRequest, failureKinds, preflight, refusedAtRecord } from '../../src/deploys/index.ts';
import type { Queryable } from '../../src/store/index.ts';

const NOW = new Date('2026-03-02T15:00:00Z');
const config = {
  admins: ['U0ADMIN'],
  environments: { production: { channel: 'C0DEPLOYS', deployers: ['U0ALICE'], require_ci: true } },
  services: { api: { repo: 'acme/api' } },
} as unknown as Config;
const RED = {
  green: false,
  total: 1,
  blocking: [{ name: 'test', state: 'failure' as const, url: 'https://ci.example.com/1' }],
};
const LOCK_ROW = {
  id: 1,
  environment: 'production',
  service: null,
  holder: 'U0BOB',
  reason: '',
  channel: 'C0DEPLOYS',
  acquired_at: NOW,
  expires_at: NOW,
  duration_seconds: 60,
};
const BAD_SHA_ROW = { sha: 'abc1234', deploy_id: 3, marked_at: NOW };

/** A database holding rows for the tables named (locks, bad_shas), nothing else. */
const dbWith = (tables: { locks?: object[]; bad_shas?: object[] } = {}): Queryable =>
  ({
    query: async (sql: string) => Object.entries(tables).find(([table]) => sql.includes(`from ${table}`))?.[1] ?? [],
  }) as unknown as Queryable;
const github = (ci = RED) =>
  ({ resolveRef: async () => ({ sha: 'abc1234', url: '' }), ciVerdict: async () => ci }) as unknown as GitHub;
const request = (over: Partial<DeployRequest> = {}): DeployRequest => ({
  service: 'api',
  environment: 'production',
  ref: 'main',
  requestedBy: 'U0ALICE',
  force: false,
  confirmBadSha: false,
  ...over,
});
const check = (db: Queryable, over: Partial<DeployRequest> = {}, ci = RED) =>
  preflight({ db, config, github: github(ci), now: NOW }, request(over));

describe('preflight', () => {
  it('says forced for red CI an admin overrode, and only then', async () => {
    const forced = await check(dbWith(), { requestedBy: 'U0ADMIN', force: true });
    expect(forced).toMatchObject({ ok: true, forced: true, commit: { sha: 'abc1234' } });
    expect(forced.checks.find((c) => c.name === 'ci')).toEqual({ name: 'ci', passed: true, reason: 'forced' });
    const notAdmin = await check(dbWith(), { force: true });
    expect(notAdmin).toMatchObject({ ok: false, forced: false, queueable: false, confirmable: false });
    expect(notAdmin.checks.find((c) => c.name === 'ci')).toEqual({
      name: 'ci',
      passed: false,
      blocker: { kind: 'ci', verdict: RED },
    });
  });

  it('is queueable when only a lock stands in the way, confirmable when only a rolled-back SHA does', async () => {
    const green = { green: true, total: 1, blocking: [] };
    expect(await check(dbWith({ locks: [LOCK_ROW] }), {}, green)).toMatchObject({
      ok: false,
      queueable: true,
      confirmable: false,
    });
    expect(await check(dbWith({ bad_shas: [BAD_SHA_ROW] }), {}, green)).toMatchObject({
      ok: false,
      queueable: false,
      confirmable: true,
    });
    expect(await check(dbWith({ locks: [LOCK_ROW], bad_shas: [BAD_SHA_ROW] }), {}, green)).toMatchObject({
      queueable: false,
      confirmable: false,
    });
  });

  it('fails the check a blocker met at record time belongs to, and keeps the others', async () => {
    const passed = await check(dbWith(), {}, { green: true, total: 0, blocking: [] });
    expect(passed).toMatchObject({ ok: true, queueable: false });
    const deploy = { id: 9 } as never;
    const refused = refusedAtRecord(passed, { kind: 'in-flight', deploy });
    expect(refused).toMatchObject({ ok: false, queueable: true, forced: false });
    expect(refused.checks.filter((c) => !c.passed)).toEqual([
      { name: 'in-flight', passed: false, blocker: { kind: 'in-flight', deploy } },
    ]);
    expect(refused.checks.find((c) => c.name === 'ci')).toEqual({ name: 'ci', passed: true, reason: 'no-ci-reported' });
    expect(failureKinds(refused)).toBe('in-flight');
  });
});
