import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/index.ts';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['90m', 5_400_000],
    ['2h', 7_200_000],
    ['14d', 1_209_600_000],
    [' 1m ', 60_000],
  ])('reads %j as %i ms', (text, milliseconds) => {
    expect(parseDuration(text)).toBe(milliseconds);
  });

  it.each(['2', '2x', '1.5h', '-1h', '2H', '1w', '2 h', '1h30m', 'soon', ''])(
    'rejects %j, naming the allowed form',
    (text) => {
      expect(() => parseDuration(text)).toThrow(
        `invalid duration ${JSON.stringify(text)}: expected a duration like 30s, 10m, 2h or 14d`,
      );
    },
  );

  it('rejects zero', () => {
    expect(() => parseDuration('0m')).toThrow('expected a duration longer than zero');
  });
});

describe('formatDuration', () => {
  it.each([
    [7_200_000, '2h'],
    [5_400_000, '1h 30m'],
    [45_000, '45s'],
    [259_200_000, '3d'],
    [90_061_000, '1d 1h 1m 1s'],
    [0, '0s'],
    [1_499, '1s'],
  ])('writes %i ms as %j', (milliseconds, text) => {
    expect(formatDuration(milliseconds)).toBe(text);
  });
});
