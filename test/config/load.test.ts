import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';

const SHIPPED_CONFIG = fileURLToPath(new URL('../../tugboat.yml', import.meta.url));

/** The smallest valid tugboat.yml, one entry per line so tests can name line numbers. */
const MINIMAL = [
  'environments:', // 1
  '  staging:', // 2
  '    channel: C0STAGING', // 3
  'services:', // 4
  '  api:', // 5
  '    repo: acme/api', // 6
  '    environments: [staging]', // 7
  '    deploy: { via: github-deployment }', // 8
];

/** Two environments, the second with an alias; lines 1-9. */
const TWO_ENVIRONMENTS = [
  'environments:', // 1
  '  staging:', // 2
  '    channel: C0STAGING', // 3
  '  production:', // 4
  '    aliases: [prod]', // 5
  '    channel: C0DEPLOYS', // 6
  'services:', // 7
  '  api:', // 8
  '    repo: acme/api', // 9
];

function parseLines(lines: string[]): Config {
  return parseConfig(lines.join('\n'), 'tugboat.yml');
}

function configError(lines: string[]): ConfigError {
  try {
    parseLines(lines);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

/** `lines` with the line that starts with `prefix` replaced by `replacement`. */
function replaceLine(lines: string[], prefix: string, ...replacement: string[]): string[] {
  const index = lines.findIndex((line) => line.startsWith(prefix));
  if (index < 0) throw new Error(`no line starts with ${JSON.stringify(prefix)}`);
  return [...lines.slice(0, index), ...replacement, ...lines.slice(index + 1)];
}

describe('the shipped tugboat.yml', () => {
  it('loads, with durations in milliseconds', () => {
    const config = loadConfig(SHIPPED_CONFIG);

    expect(config.timezone).toBe('America/New_York');
    expect(config.admins).toEqual(['U0ADMIN']);
    expect(config.environments.production).toEqual({
      channel: 'C0DEPLOYS',
      aliases: ['prod'],
      deployers: ['U0ALICE', 'U0BOB'],
      require_ci: true,
      lock_ttl: 2 * 3_600_000,
      on_smoke_failure: 'ask',
    });
    const api = config.services.api;
    expect(api.environments).toEqual(['staging', 'production']);
    expect(api.deploy).toEqual({ via: 'github-deployment' });
    expect(api.auto_deploy).toEqual({ branch: 'main', environment: 'staging' });
    expect(api.rollback).toEqual({ max_releases: 5, max_age: 14 * 86_400_000 });
    expect(api.smoke.production).toEqual([
      {
        name: 'health',
        url: 'https://api.example.com/healthz',
        method: 'GET',
        expect: { status: 200, body_contains: 'ok', max_ms: 2000 },
        every: 60_000,
        timeout: 5_000,
      },
    ]);
    expect(config.channels).toEqual({ C0APIDEPLOY: { service: 'api', environment: 'production' } });
    expect(config.people).toEqual({ octocat: 'U0ALICE' });
    expect(config.reviews).toEqual({
      nudge_after: 4 * 3_600_000,
      nudge_every: 24 * 3_600_000,
      sweep_every: 60_000,
      business_hours: '09:00-18:00',
      business_days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    });
    expect(config.incidents).toEqual({
      failures_before_alert: 5,
      passes_before_recovery: 2,
      channel_prefix: 'inc',
      invite: ['U0ONCALL'],
      result_retention: 7 * 24 * 3_600_000,
    });
  });
});

describe('defaults', () => {
  it('fills in everything the file leaves out', () => {
    expect(parseLines(MINIMAL)).toEqual({
      timezone: 'UTC',
      admins: [],
      environments: {
        staging: { channel: 'C0STAGING', aliases: [], require_ci: false, lock_ttl: 3_600_000, on_smoke_failure: 'ask' },
      },
      services: {
        api: {
          repo: 'acme/api',
          default_ref: 'main',
          environments: ['staging'],
          deploy: { via: 'github-deployment' },
          owners: [],
          rollback: { max_releases: 5, max_age: 14 * 86_400_000 },
          smoke: {},
        },
      },
      channels: {},
      people: {},
      reviews: {
        nudge_after: 4 * 3_600_000,
        nudge_every: 24 * 3_600_000,
        sweep_every: 60_000,
        business_hours: '09:00-18:00',
        business_days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      },
      incidents: {
        failures_before_alert: 5,
        passes_before_recovery: 2,
        channel_prefix: 'inc',
        invite: [],
        result_retention: 7 * 24 * 3_600_000,
      },
    });
  });

  it('leaves deployers absent, meaning anyone may deploy', () => {
    expect(parseLines(MINIMAL).environments.staging).not.toHaveProperty('deployers');
  });

  it('fills a smoke check with GET, every 1m and a 5s timeout', () => {
    const lines = [
      ...MINIMAL,
      '    smoke:',
      '      staging:',
      '        - { name: home, url: "https://staging.example.com/" }',
    ];
    expect(parseLines(lines).services.api.smoke.staging).toEqual([
      { name: 'home', url: 'https://staging.example.com/', method: 'GET', expect: {}, every: 60_000, timeout: 5_000 },
    ]);
  });
});

describe('values', () => {
  it('reads every way to deploy', () => {
    const deploy = (line: string) => parseLines(replaceLine(MINIMAL, '    deploy:', line)).services.api.deploy;
    expect(deploy('    deploy: { via: workflow, workflow: deploy.yml }')).toEqual({
      via: 'workflow',
      workflow: 'deploy.yml',
    });
    expect(deploy('    deploy: { via: webhook, url: "https://ci.example.com/hooks/deploy" }')).toEqual({
      via: 'webhook',
      url: 'https://ci.example.com/hooks/deploy',
    });
    expect(deploy('    deploy: { via: command, run: ["./scripts/deploy.sh", "--fast"] }')).toEqual({
      via: 'command',
      run: ['./scripts/deploy.sh', '--fast'],
    });
    expect(
      deploy('    deploy: { via: command, run: ["./scripts/deploy.sh"], env: [AWS_PROFILE, KUBECONFIG] }'),
    ).toEqual({
      via: 'command',
      run: ['./scripts/deploy.sh'],
      env: ['AWS_PROFILE', 'KUBECONFIG'],
    });
  });

  it('accepts a list of statuses and multi-step smoke checks', () => {
    const lines = [
      ...MINIMAL,
      '    smoke:',
      '      staging:',
      '        - name: login',
      '          expect: { status: [200, 204] }',
      '          steps:',
      '            - { url: "https://staging.example.com/login", method: POST }',
    ];
    const [check] = parseLines(lines).services.api.smoke.staging;
    expect(check.expect.status).toEqual([200, 204]);
    expect(check.steps).toEqual([{ url: 'https://staging.example.com/login', method: 'POST' }]);
  });

  it('reads business days in any case', () => {
    const lines = [...MINIMAL, 'reviews:', '  business_days: [Mon, TUE]'];
    expect(parseLines(lines).reviews.business_days).toEqual(['mon', 'tue']);
  });

  it('lets YAML anchors and merge keys share settings', () => {
    const lines = [
      'environments:',
      '  staging: &defaults',
      '    channel: C0STAGING',
      '    lock_ttl: 30m',
      '  production:',
      '    <<: *defaults',
      '    channel: C0DEPLOYS',
      ...MINIMAL.slice(3),
    ];
    expect(parseLines(lines).environments.production).toMatchObject({ channel: 'C0DEPLOYS', lock_ttl: 1_800_000 });
  });
});

describe('errors name the file, the key path and the line', () => {
  it('a wrong duration', () => {
    const lines = [...TWO_ENVIRONMENTS.slice(0, 6), '    lock_ttl: 2x', ...MINIMAL.slice(3)];
    expect(configError(lines).message).toBe(
      'tugboat.yml: environments.production.lock_ttl (line 7): expected a duration like 30s, 10m, 2h or 14d',
    );
  });

  it('a duration without a unit', () => {
    const lines = [...MINIMAL, 'reviews:', '  nudge_after: 3600'];
    expect(configError(lines).message).toBe(
      'tugboat.yml: reviews.nudge_after (line 10): expected a duration like 30s, 10m, 2h or 14d (a number needs a unit)',
    );
  });

  it('an unknown key, with a did-you-mean', () => {
    const lines = replaceLine(MINIMAL, '    channel:', '    channel: C0STAGING', '    lock_tll: 2h');
    expect(configError(lines).message).toBe(
      'tugboat.yml: environments.staging.lock_tll (line 4): unknown key; did you mean lock_ttl?',
    );
  });

  it('an unknown key far from any other, listing the keys that are allowed', () => {
    const lines = [...MINIMAL, 'incidents:', '  pager: true'];
    expect(configError(lines).message).toBe(
      'tugboat.yml: incidents.pager (line 10): unknown key; expected one of failures_before_alert, passes_before_recovery, channel_prefix, invite, canary, heartbeat_url or result_retention',
    );
  });

  it('a misspelt key is reported before the missing key it causes', () => {
    const lines = replaceLine(MINIMAL, '    channel:', '    chanel: C0STAGING');
    const error = configError(lines);
    expect(error.message).toBe('tugboat.yml: environments.staging.chanel (line 3): unknown key; did you mean channel?');
    expect(error.problems).toEqual([
      'tugboat.yml: environments.staging.chanel (line 3): unknown key; did you mean channel?',
      'tugboat.yml: environments.staging.channel (line 2): is required',
    ]);
  });

  it('a missing key, at the line of the map that lacks it', () => {
    const lines = MINIMAL.filter((line) => !line.startsWith('    repo:'));
    expect(configError(lines).message).toBe('tugboat.yml: services.api.repo (line 5): is required');
  });

  it('a value not among the choices, with a did-you-mean', () => {
    const lines = replaceLine(MINIMAL, '    channel:', '    channel: C0STAGING', '    on_smoke_failure: rollbak');
    expect(configError(lines).message).toBe(
      'tugboat.yml: environments.staging.on_smoke_failure (line 4): expected ask, rollback or off, got "rollbak"; did you mean rollback?',
    );
  });

  it('an unknown way to deploy, and a missing one', () => {
    const unknown = replaceLine(MINIMAL, '    deploy:', '    deploy: { via: workflw, workflow: deploy.yml }');
    expect(configError(unknown).message).toBe(
      'tugboat.yml: services.api.deploy.via (line 8): expected github-deployment, workflow, webhook or command, got "workflw"; did you mean workflow?',
    );
    const missing = replaceLine(MINIMAL, '    deploy:', '    deploy: { workflow: deploy.yml }');
    expect(configError(missing).message).toBe(
      'tugboat.yml: services.api.deploy.via (line 8): is required: one of github-deployment, workflow, webhook or command',
    );
  });

  it('a deploy missing what its method needs', () => {
    const lines = replaceLine(MINIMAL, '    deploy:', '    deploy:', '      via: command', '      run: []');
    expect(configError(lines).message).toBe('tugboat.yml: services.api.deploy.run (line 10): must not be empty');
  });

  it('a malformed Slack ID', () => {
    const lines = ['admins: [U0ADMIN, alice]', ...MINIMAL];
    expect(configError(lines).message).toBe(
      'tugboat.yml: admins[1] (line 1): expected a Slack user ID like U0123ABCD, got "alice"',
    );
  });

  it('a channel binding keyed by something that is not a channel ID', () => {
    const lines = [...MINIMAL, 'channels:', '  deploys: { service: api }'];
    expect(configError(lines).message).toBe(
      'tugboat.yml: channels.deploys (line 10): expected a Slack channel ID like C0123ABCD, got "deploys"',
    );
  });

  it('a wrong type', () => {
    const lines = replaceLine(MINIMAL, '    channel:', '    channel: C0STAGING', '    require_ci: yes');
    expect(configError(lines).message).toBe(
      'tugboat.yml: environments.staging.require_ci (line 4): expected true or false, got "yes"',
    );
  });

  it('an unknown time zone, with a did-you-mean', () => {
    const lines = ['timezone: America/NewYork', ...MINIMAL];
    expect(configError(lines).message).toBe(
      'tugboat.yml: timezone (line 1): expected an IANA time zone like America/New_York or UTC, got "America/NewYork"; did you mean America/New_York?',
    );
  });

  it('business hours that are not HH:MM-HH:MM or end before they start', () => {
    expect(configError([...MINIMAL, 'reviews:', '  business_hours: 9-5']).message).toBe(
      'tugboat.yml: reviews.business_hours (line 10): expected opening hours as HH:MM-HH:MM, like "09:00-18:00", got "9-5"',
    );
    expect(configError([...MINIMAL, 'reviews:', '  business_hours: "18:00-09:00"']).message).toMatch(
      /^tugboat\.yml: reviews\.business_hours \(line 10\): the end of business hours must come after the start/,
    );
  });

  it('a misspelt placeholder in a log link', () => {
    const lines = [...MINIMAL, '    logs: "https://logs.example.com/?q={service}&env={envv}"'];
    expect(configError(lines).message).toBe(
      'tugboat.yml: services.api.logs (line 9): unknown placeholder {envv}; did you mean {env}? Placeholders are {service}, {env}, {sha}, {deploy_id}, {from} or {to}',
    );
  });

  it('a number out of range', () => {
    const lines = [...MINIMAL, '    rollback: { max_releases: 0 }'];
    expect(configError(lines).message).toBe(
      'tugboat.yml: services.api.rollback.max_releases (line 9): must be at least 1',
    );
  });

  it('a smoke check with neither url nor steps', () => {
    const lines = [...MINIMAL, '    smoke:', '      staging:', '        - name: home'];
    expect(configError(lines).message).toBe(
      'tugboat.yml: services.api.smoke.staging[0].url (line 11): is required (or give steps)',
    );
  });

  it('a YAML syntax error', () => {
    const tabbed = replaceLine(MINIMAL, '    repo:', '\trepo: acme/api');
    expect(configError(tabbed).message).toBe('tugboat.yml: invalid YAML (line 6): Tabs are not allowed as indentation');
    const unquoted = replaceLine(MINIMAL, '    repo:', '    repo: acme/api: extra');
    expect(configError(unquoted).message).toBe(
      'tugboat.yml: invalid YAML (line 6): Nested mappings are not allowed in compact mappings',
    );
  });

  it('a key given twice', () => {
    const lines = replaceLine(MINIMAL, '    channel:', '    channel: C0STAGING', '    channel: C0OTHER');
    expect(configError(lines).message).toBe('tugboat.yml: invalid YAML (line 4): Map keys must be unique');
  });

  it('an empty file', () => {
    expect(configError(['# nothing yet']).message).toBe(
      'tugboat.yml: the file is empty; it needs at least environments and services (see README.md#configuration)',
    );
  });

  it('a file that is not a map', () => {
    expect(configError(['- staging']).message).toBe('tugboat.yml: (top level) (line 1): expected a map, got a list');
  });

  it('every problem is kept, one line each, in file order', () => {
    const lines = ['admins: [alice]', ...replaceLine(MINIMAL, '    repo:', '    repo: acme api')];
    const { problems } = configError(lines);
    expect(problems).toEqual([
      'tugboat.yml: admins[0] (line 1): expected a Slack user ID like U0123ABCD, got "alice"',
      'tugboat.yml: services.api.repo (line 7): expected a GitHub repository as owner/name, like acme/api, got "acme api"',
    ]);
    for (const problem of problems) expect(problem).not.toContain('\n');
  });
});

describe('loadConfig', () => {
  it('says how to fix a missing file', () => {
    expect(() => loadConfig('tugboat.yml.missing')).toThrow(
      new ConfigError([
        'tugboat.yml.missing: file not found (set TUGBOAT_CONFIG or create it; see README.md#configuration)',
      ]),
    );
  });

  it('names the file it was given in errors', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tugboat-config-')), 'custom.yml');
    writeFileSync(path, replaceLine(MINIMAL, '    channel:', '    channel: staging').join('\n'));
    expect(() => loadConfig(path)).toThrow(
      `${path}: environments.staging.channel (line 3): expected a Slack channel ID like C0123ABCD, got "staging"`,
    );
  });
});

describe('cross-references', () => {
  const service = (...lines: string[]) => [...TWO_ENVIRONMENTS, ...lines];
  const deploy = '    deploy: { via: github-deployment }';

  it('a service naming an unknown environment, with a did-you-mean and the valid names', () => {
    const lines = service('    environments:', '      - staging', '      - prdo', deploy);
    expect(configError(lines).message).toBe(
      'tugboat.yml: services.api.environments[1] (line 12): unknown environment "prdo"; did you mean prod? Environments: staging, production (prod)',
    );
  });

  it('only the unknown environment is reported, not what follows from it', () => {
    const lines = service('    environments: [staging, prdo]', deploy, '    smoke:', '      production: []');
    expect(configError(lines).problems).toHaveLength(1);
  });

  it('environments may be named by alias or in any case, and come out canonical', () => {
    const lines = service(
      '    environments: [STAGING, prod]', // 10
      deploy,
      '    auto_deploy: { branch: main, environment: Staging }',
      '    smoke:',
      '      PROD: []',
      'channels:',
      '  C0APIDEPLOY: { service: API, environment: prod }',
      '  C0STAGEOPS: { environment: staging }',
    );
    const config = parseLines(lines);
    expect(config.services.api.environments).toEqual(['staging', 'production']);
    expect(config.services.api.auto_deploy).toEqual({ branch: 'main', environment: 'staging' });
    expect(Object.keys(config.services.api.smoke)).toEqual(['production']);
    expect(config.channels).toEqual({
      C0APIDEPLOY: { service: 'api', environment: 'production' },
      C0STAGEOPS: { environment: 'staging' },
    });
  });

  it('a service listing the same environment twice', () => {
    const lines = service('    environments: [production, prod]', deploy);
    expect(configError(lines).message).toBe(
      'tugboat.yml: services.api.environments[1] (line 10): lists environment production twice',
    );
  });

  it('auto_deploy to an environment the service does not deploy to', () => {
    const lines = service(
      '    environments: [staging]',
      deploy,
      '    auto_deploy: { branch: main, environment: prod }',
    );
    expect(configError(lines).message).toBe(
      'tugboat.yml: services.api.auto_deploy.environment (line 12): service api does not deploy to production; its environments are staging',
    );
  });

  it('smoke tests for an environment the service does not deploy to', () => {
    const lines = service('    environments: [staging]', deploy, '    smoke:', '      production: []');
    expect(configError(lines).message).toBe(
      'tugboat.yml: services.api.smoke.production (line 13): service api does not deploy to production; its environments are staging',
    );
  });

  it('a channel bound to an unknown service', () => {
    const lines = service('    environments: [staging]', deploy, 'channels:', '  C0APIDEPLOY: { service: apx }');
    expect(configError(lines).message).toBe(
      'tugboat.yml: channels.C0APIDEPLOY.service (line 13): unknown service "apx"; did you mean api? Services: api',
    );
  });

  it('a channel bound to a service and an environment it does not deploy to', () => {
    const lines = service(
      '    environments: [staging]',
      deploy,
      'channels:',
      '  C0APIDEPLOY: { service: api, environment: production }',
    );
    expect(configError(lines).message).toBe(
      'tugboat.yml: channels.C0APIDEPLOY.environment (line 13): service api does not deploy to production; its environments are staging',
    );
  });

  it('a channel binding that names nothing', () => {
    const lines = [...MINIMAL, 'channels:', '  C0APIDEPLOY: {}'];
    expect(configError(lines).message).toBe(
      'tugboat.yml: channels.C0APIDEPLOY (line 10): expected a service, an environment or both',
    );
  });

  it('environment names that differ only in case', () => {
    const lines = [
      'environments:',
      '  staging: { channel: C0STAGING }',
      '  Staging: { channel: C0OTHER }',
      ...MINIMAL.slice(3),
    ];
    expect(configError(lines).message).toBe(
      'tugboat.yml: environments.Staging (line 3): clashes with environment staging (names are matched ignoring case)',
    );
  });

  it("an alias that is another environment's name", () => {
    const lines = replaceLine(TWO_ENVIRONMENTS, '    aliases:', '    aliases: [prod, Staging]');
    const error = configError([...lines, '    environments: [staging]', deploy]);
    expect(error.message).toBe(
      'tugboat.yml: environments.production.aliases[1] (line 5): alias Staging is already the name of environment staging (names are matched ignoring case)',
    );
  });

  it("an alias that is another environment's alias", () => {
    const lines = [
      'environments:',
      '  staging: { channel: C0STAGING, aliases: [pre] }',
      '  preview: { channel: C0PREVIEW, aliases: [PRE] }',
      ...MINIMAL.slice(3),
    ];
    expect(configError(lines).message).toBe(
      'tugboat.yml: environments.preview.aliases[0] (line 3): alias PRE is already an alias of environment staging (names are matched ignoring case)',
    );
  });

  it('reserves "all" for /lock all', () => {
    const reserved = 'tugboat.yml: %s: "all" is reserved: it means every environment, as in /lock all';
    const asEnvironment = ['environments:', '  all: { channel: C0ALL }', ...MINIMAL.slice(1)];
    expect(configError(asEnvironment).message).toBe(reserved.replace('%s', 'environments.all (line 2)'));
    const asAlias = replaceLine(MINIMAL, '    channel:', '    channel: C0STAGING', '    aliases: [ALL]');
    expect(configError(asAlias).message).toBe(reserved.replace('%s', 'environments.staging.aliases[0] (line 4)'));
    const asService = replaceLine(MINIMAL, '  api:', '  all:');
    expect(configError(asService).message).toBe(reserved.replace('%s', 'services.all (line 5)'));
  });

  it('a service name with @', () => {
    const lines = replaceLine(MINIMAL, '  api:', '  api@eu:');
    expect(configError(lines).message).toBe(
      'tugboat.yml: services.api@eu (line 5): a service name cannot contain @, which joins service and environment as in /lock api@production',
    );
  });

  it('a name that cannot be typed in a slash command', () => {
    const lines = replaceLine(MINIMAL, '  staging:', '  "pre prod":');
    expect(configError(lines).message).toBe(
      'tugboat.yml: environments.pre prod (line 2): "pre prod" is not a usable name: use letters, digits, ".", "-" or "_", starting with a letter or digit',
    );
  });

  it('service names that differ only in case', () => {
    const lines = [...MINIMAL, '  API:', '    repo: acme/api2', '    environments: [staging]', deploy];
    expect(configError(lines).message).toBe(
      'tugboat.yml: services.API (line 9): clashes with service api (names are matched ignoring case)',
    );
  });
});

describe('reviews.sweep_every', () => {
  it('must be an interval a schedule can keep evenly', () => {
    const yaml = [
      'environments:',
      '  staging: { channel: C0STAGING }',
      'services:',
      '  api: { repo: acme/api, environments: [staging], deploy: { via: github-deployment } }',
      'reviews:',
      '  sweep_every: 45s',
      '',
    ].join('\n');
    expect(() => parseConfig(yaml, 'tugboat.yml')).toThrow(
      /reviews\.sweep_every \(line 6\): must divide a minute, an hour or a day evenly/,
    );
    expect(parseConfig(yaml.replace('45s', '30s'), 'tugboat.yml').reviews.sweep_every).toBe(30_000);
  });
});
