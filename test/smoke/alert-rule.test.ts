import { describe, expect, it } from 'vitest';
import { impairmentOf, type SmokeCheckResult, streakOf, transitionKind } from '../../src/smoke/index.ts';

const pass = { ok: true };
const fail = (error: string) => ({ ok: false, error });
const rule = { failuresBeforeAlert: 3, passesBeforeRecovery: 2 };

function result(fields: Partial<SmokeCheckResult>): SmokeCheckResult {
  return { name: 'health', ok: false, latencyMs: 1, error: 'boom', startedAt: new Date(0), ...fields };
}

describe('streakOf (newest first)', () => {
  it('counts the failures in a row and keeps the newest error', () => {
    expect(streakOf([fail('b'), fail('a'), pass, fail('old')])).toEqual({ failures: 2, passes: 0, lastError: 'b' });
  });

  it('counts the passes in a row and keeps the error of the failure before them', () => {
    expect(streakOf([pass, pass, fail('a'), pass])).toEqual({ failures: 0, passes: 2, lastError: 'a' });
    expect(streakOf([pass])).toEqual({ failures: 0, passes: 1 });
    expect(streakOf([])).toEqual({ failures: 0, passes: 0 });
  });
});

describe('transitionKind', () => {
  it('alerts at exactly N failures in a row, not N - 1', () => {
    expect(transitionKind(false, { failures: 2, passes: 0 }, rule)).toBeUndefined();
    expect(transitionKind(false, { failures: 3, passes: 0 }, rule)).toBe('alert');
    expect(transitionKind(true, { failures: 4, passes: 0 }, rule)).toBeUndefined();
  });

  it('recovers at exactly M passes in a row', () => {
    expect(transitionKind(true, { failures: 0, passes: 1 }, rule)).toBeUndefined();
    expect(transitionKind(true, { failures: 0, passes: 2 }, rule)).toBe('recovered');
    expect(transitionKind(false, { failures: 0, passes: 5 }, rule)).toBeUndefined();
  });
});

describe('impairmentOf', () => {
  const refused = (host: string) => result({ error: 'connection refused (ECONNREFUSED)', unreachableHost: host });

  it('lets the canary decide when there is one', () => {
    expect(impairmentOf([result({})], result({ name: 'canary', error: 'timed out after 5s' }))).toBe(
      'the canary failed too: timed out after 5s',
    );
    expect(impairmentOf([refused('a.example.com'), refused('b.example.com')], result({ ok: true }))).toBeUndefined();
  });

  it('blames monitoring when no check reached its server, on two hosts or more', () => {
    expect(impairmentOf([refused('a.example.com'), refused('b.example.com')], undefined)).toBe(
      'no check could reach its server (DNS or connection errors on 2 hosts)',
    );
  });

  it('blames the service when its one host is down, or when some check reached its server', () => {
    expect(impairmentOf([refused('a.example.com'), refused('a.example.com')], undefined)).toBeUndefined();
    expect(impairmentOf([refused('a.example.com'), refused('b.example.com'), result({})], undefined)).toBeUndefined();
    expect(
      impairmentOf([refused('a.example.com'), refused('b.example.com'), result({ ok: true })], undefined),
    ).toBeUndefined();
  });

  it('has nothing to judge when every check passed', () => {
    expect(impairmentOf([result({ ok: true })], result({ ok: false }))).toBeUndefined();
  });
});
