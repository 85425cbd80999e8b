import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/index.ts';
import { smokeConfig } from './helpers.ts';

const problem = (checks: Array<Record<string, unknown>>) => {
  try {
    smokeConfig(checks);
  } catch (error) {
    if (error instanceof ConfigError) return error.message.replace(/ \(line \d+\)/, '');
    throw error;
  }
  throw new Error('expected a config error');
};

describe('smoke check config', () => {
  it('reads steps with their captures, leaving defaults to the check', () => {
    const config = smokeConfig([
      {
        name: 'crud',
        timeout: '10s',
        steps: [
          {
            name: 'create',
            url: 'https://api.example.com/items',
            method: 'POST',
            body: { name: 'smoke' },
            capture: { id: 'data.id' },
          },
          { url: 'https://api.example.com/items/${captured.id}', expect: { status: 200 } },
        ],
      },
    ]);
    expect(config.services.api.smoke.staging[0]).toMatchObject({
      timeout: 10_000,
      steps: [
        {
          name: 'create',
          url: 'https://api.example.com/items',
          method: 'POST',
          body: { name: 'smoke' },
          capture: { id: 'data.id' },
        },
        { url: 'https://api.example.com/items/${captured.id}', expect: { status: 200 } },
      ],
    });
  });

  it('refuses a reference to a value no earlier step captures', () => {
    const steps = [
      { url: 'https://api.example.com/items', capture: { id: 'id' } },
      { url: 'https://api.example.com/items/${captured.idd}' },
    ];
    expect(problem([{ name: 'crud', steps }])).toBe(
      'tugboat.yml: services.api.smoke.staging[0].steps[1]: uses ${captured.idd}, but no earlier step captures idd',
    );
  });

  it('refuses url and steps together', () => {
    expect(
      problem([{ name: 'crud', url: 'https://api.example.com/', steps: [{ url: 'https://api.example.com/a' }] }]),
    ).toBe(
      'tugboat.yml: services.api.smoke.staging[0].steps: give either url (and body) or steps, not both: each step has its own url and body',
    );
  });

  it('refuses two checks of the same name in one environment', () => {
    const check = { name: 'health', url: 'https://api.example.com/healthz' };
    expect(problem([check, check])).toBe(
      'tugboat.yml: services.api.smoke.staging[1].name: repeats the check name health',
    );
  });

  it('keeps results 7 days unless told otherwise, with no canary or heartbeat', () => {
    expect(smokeConfig([]).incidents).toMatchObject({ result_retention: 7 * 86_400_000 });
    expect(smokeConfig([]).incidents).not.toHaveProperty('canary');
    expect(
      smokeConfig([], {
        result_retention: '2d',
        canary: 'https://example.com/',
        heartbeat_url: 'https://hc.example.com/ping',
      }).incidents,
    ).toMatchObject({
      result_retention: 2 * 86_400_000,
      canary: 'https://example.com/',
      heartbeat_url: 'https://hc.example.com/ping',
    });
  });
});
