import { describe, expect, it } from 'vitest';
import { environmentsOf, parseConfig, resolveEnvironment, resolveService } from '../../src/config/index.ts';

const config = parseConfig(
  [
    'environments:',
    '  staging: { channel: C0STAGING }',
    '  production: { channel: C0DEPLOYS, aliases: [prod] }',
    'services:',
    '  api:',
    '    repo: acme/api',
    '    environments: [staging, prod]',
    '    deploy: { via: github-deployment }',
    '  web-frontend:',
    '    repo: acme/web',
    '    environments: [staging]',
    '    deploy: { via: github-deployment }',
  ].join('\n'),
  'tugboat.yml',
);

describe('resolveEnvironment', () => {
  it.each(['production', 'PRODUCTION', 'prod', 'Prod', ' prod '])('finds production from %j', (text) => {
    expect(resolveEnvironment(config, text)).toEqual({ ok: true, name: 'production' });
  });

  it('suggests the closest name for a typo and lists the valid ones with their aliases', () => {
    expect(resolveEnvironment(config, 'prdo')).toEqual({
      ok: false,
      message: 'Unknown environment `prdo`. Did you mean `prod`? Valid environments: `staging`, `production` (`prod`).',
    });
  });

  it('suggests a full name for a near miss of it', () => {
    expect(resolveEnvironment(config, 'stagign')).toMatchObject({
      ok: false,
      message: expect.stringContaining('Did you mean `staging`?'),
    });
  });

  it('lists the valid names without a guess when nothing is close', () => {
    expect(resolveEnvironment(config, 'qa')).toEqual({
      ok: false,
      message: 'Unknown environment `qa`. Valid environments: `staging`, `production` (`prod`).',
    });
  });

  it('asks for a name when given none', () => {
    expect(resolveEnvironment(config, '  ')).toEqual({
      ok: false,
      message: 'Which environment? Valid environments: `staging`, `production` (`prod`).',
    });
  });

  it('cannot be tricked into mentions or broken formatting by what the user typed', () => {
    const result = resolveEnvironment(config, '<!channel>`');
    expect(result).toEqual({
      ok: false,
      message: "Unknown environment `&lt;!channel&gt;'`. Valid environments: `staging`, `production` (`prod`).",
    });
  });
});

describe('resolveService', () => {
  it('finds a service in any case', () => {
    expect(resolveService(config, 'Web-Frontend')).toEqual({ ok: true, name: 'web-frontend' });
  });

  it('suggests the closest service and lists them all', () => {
    expect(resolveService(config, 'apl')).toEqual({
      ok: false,
      message: 'Unknown service `apl`. Did you mean `api`? Valid services: `api`, `web-frontend`.',
    });
  });

  it('suggests a service from an abbreviation', () => {
    expect(resolveService(config, 'web')).toMatchObject({
      ok: false,
      message: expect.stringContaining('Did you mean `web-frontend`?'),
    });
  });
});

describe('environmentsOf', () => {
  it('gives the canonical names, even where the file used an alias', () => {
    expect(environmentsOf(config, 'api')).toEqual(['staging', 'production']);
  });

  it('gives nothing for an unknown service', () => {
    expect(environmentsOf(config, 'nope')).toEqual([]);
  });
});
