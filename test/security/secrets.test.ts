import { describe, expect, it } from 'vitest';
import { createScrubber, secretValues } from '../../src/secrets.ts';

describe('secretValues', () => {
  it('reads every secret variable, and the database password on its own, as written and decoded', () => {
    const values = secretValues({
      SLACK_BOT_TOKEN: 'xoxb-1',
      GITHUB_TOKEN: 'ghp_2',
      TUGBOAT_WEBHOOK_SECRET: 'hook-3',
      DATABASE_URL: 'postgres://tugboat:p%40ss-word@db:5432/tugboat',
      PATH: '/usr/bin',
      TUGBOAT_CONFIG: './tugboat.yml',
    });
    expect(values).toEqual([
      'xoxb-1',
      'ghp_2',
      'hook-3',
      'postgres://tugboat:p%40ss-word@db:5432/tugboat',
      'p%40ss-word',
      'p@ss-word',
    ]);
  });

  it('does without a password, or a URL that does not parse', () => {
    expect(secretValues({ DATABASE_URL: 'postgres://db:5432/tugboat' })).toEqual(['postgres://db:5432/tugboat']);
    expect(secretValues({ DATABASE_URL: 'not a url' })).toEqual(['not a url']);
  });
});

describe('createScrubber', () => {
  it('redacts each value, as is and JSON-escaped, longest first', () => {
    const scrub = createScrubber(['secret-one', 'secret-one-and-more', 'quote"d-secret', undefined, 'short']);
    expect(scrub('a secret-one-and-more b secret-one c')).toBe('a [Redacted] b [Redacted] c');
    expect(scrub(JSON.stringify({ msg: 'quote"d-secret' }))).toBe('{"msg":"[Redacted]"}');
    expect(scrub('short words stay')).toBe('short words stay');
  });

  it('redacts each line of a multi-line secret, so a key printed in part is redacted too', () => {
    const key =
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----';
    const scrub = createScrubber([key]);
    expect(scrub(`key:\n${key}\n`)).toBe('key:\n[Redacted]\n');
    expect(scrub('head: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')).toBe('head: [Redacted]');
  });
});
