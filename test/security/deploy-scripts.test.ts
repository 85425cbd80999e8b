import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.ts';
import { channelMessages, command, seedRepo, threadOf } from '../helpers/deploys.ts';
import { FIXTURE_CONFIG, SECRETS, startHarness, type Harness } from '../helpers/harness.ts';
import { storeBackends } from '../helpers/stores.ts';

// Issue 10, point 6: a `via: command` script gets only what it needs, its output reaches Slack
// scrubbed and escaped, and no malformed ref reaches it.

const FIXTURE_DEPLOY = '    deploy: { via: command, run: ["./scripts/deploy.sh"] }';

/** The fixture config with `web` deploying through `node deploy.cjs` and these `deploy.env` names. */
function configWith(deploy: string): string {
  expect(FIXTURE_CONFIG).toContain(FIXTURE_DEPLOY);
  return FIXTURE_CONFIG.replace(FIXTURE_DEPLOY, deploy);
}

const WEB_DEPLOY = configWith(
  '    deploy: { via: command, run: ["node", "deploy.cjs"], env: [DEPLOY_REGION, NOT_SET_ANYWHERE] }',
);

/** Secrets of tugboat's process that the harness does not pass as settings, and two ordinary variables. */
const PROCESS_ENV = {
  SLACK_SIGNING_SECRET: 'process-signing-secret-0123',
  GITHUB_TOKEN: 'ghp_process-token-0123456789',
  DATABASE_URL: 'postgres://tugboat:db-password-0123@db.internal:5432/tugboat',
  PGPASSWORD: 'pg-password-0123',
  TUGBOAT_WEBHOOK_SECRET: 'process-webhook-secret-0123',
  LANG: 'C.UTF-8',
  DEPLOY_REGION: 'eu-west-1',
  UNLISTED_VARIABLE: 'not for scripts',
};

const DEPLOY_VARIABLES = [
  'TUGBOAT_DEPLOY_ID',
  'TUGBOAT_SERVICE',
  'TUGBOAT_ENV',
  'TUGBOAT_REF',
  'TUGBOAT_SHA',
  'TUGBOAT_REPO',
  'TUGBOAT_REQUESTED_BY',
];

let dir: string;
let saved: Record<string, string | undefined>;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tugboat-scripts-'));
  saved = Object.fromEntries(Object.keys(PROCESS_ENV).map((name) => [name, process.env[name]]));
  Object.assign(process.env, PROCESS_ENV);
});

afterEach(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await rm(dir, { recursive: true, force: true });
});

/** The deploy script: writes the environment it was given to env.json, then prints `output`. */
async function deployScript(output: string[] = []): Promise<void> {
  const body = [
    `require('node:fs').writeFileSync('env.json', JSON.stringify(process.env));`,
    ...output.map((line) => `console.log(${JSON.stringify(line)});`),
  ].join('\n');
  await writeFile(path.join(dir, 'deploy.cjs'), body);
}

async function scriptEnvironment(): Promise<Record<string, string>> {
  return JSON.parse(await readFile(path.join(dir, 'env.json'), 'utf8'));
}

const scriptRan = () => existsSync(path.join(dir, 'env.json'));

for (const backend of storeBackends) {
  describe(`deploy scripts on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    async function start(): Promise<void> {
      h = await startHarness({ backend, commandCwd: dir, configYaml: WEB_DEPLOY });
      seedRepo(h, 'acme/web', ['w1']);
    }

    it('get PATH, HOME, LANG, the TUGBOAT_* deploy variables and the deploy.env names, and none of tugboat’s secrets', async () => {
      await deployScript();
      await start();
      await command(h, 'U0ALICE', '/deploy web to staging', 'C0STAGING');

      const env = await scriptEnvironment();
      const allowed = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', ...DEPLOY_VARIABLES, 'DEPLOY_REGION'];
      expect(Object.keys(env).filter((name) => !allowed.includes(name))).toEqual([]);
      expect(env).toMatchObject({
        PATH: process.env.PATH,
        LANG: 'C.UTF-8',
        DEPLOY_REGION: 'eu-west-1',
        TUGBOAT_SERVICE: 'web',
        TUGBOAT_ENV: 'staging',
        TUGBOAT_REF: 'main',
      });
      expect(Object.keys(env)).toEqual(expect.arrayContaining(DEPLOY_VARIABLES));
      const given = JSON.stringify(env);
      for (const secret of [
        ...Object.values(SECRETS),
        PROCESS_ENV.SLACK_SIGNING_SECRET,
        PROCESS_ENV.GITHUB_TOKEN,
        'db-password-0123',
        PROCESS_ENV.PGPASSWORD,
        PROCESS_ENV.TUGBOAT_WEBHOOK_SECRET,
      ]) {
        expect(given).not.toContain(secret);
      }
    });

    it('have their output posted with every known secret redacted and no mention left working', async () => {
      await deployScript([
        `token ${SECRETS.botToken}`,
        `github=${SECRETS.githubToken}`,
        `receiver secret: ${SECRETS.deployWebhookSecret}`,
        'done <!channel> @here',
      ]);
      await start();
      await command(h, 'U0ALICE', '/deploy web to staging', 'C0STAGING');

      const [announcement] = channelMessages(h, 'C0STAGING');
      expect(announcement.text).toContain('deployed *web*');
      const output = threadOf(h, 'C0STAGING', announcement.ts).find((m) => m.text.includes('Last lines of output'))!;
      expect(output.text).toContain(`token [Redacted]\ngithub=[Redacted]\nreceiver secret: [Redacted]`);
      for (const secret of Object.values(SECRETS)) expect(output.text).not.toContain(secret);
      expect(output.text).toContain('&lt;!channel&gt;');
      expect(output.text).not.toContain('<!channel>');
      expect(output.text).not.toMatch(/@here\b/);
    });

    it.each([
      ['-rf', 'it starts with `-`'],
      ['a..b', 'it contains `..`'],
      ['foo.lock', 'a part of it ends with `.lock`'],
      ['x\u0007', 'it contains the control character U+0007'],
      ['@{1}', 'it contains `@{`'],
      ['refs/heads/', 'it starts or ends with `/`'],
    ])('refuse the ref %j at /deploy with one sentence, and run nothing', async (ref, why) => {
      await deployScript();
      await start();
      const answers = await command(h, 'U0ALICE', `/deploy web ${ref} to staging`, 'C0STAGING');
      expect(answers).toHaveLength(1);
      expect(answers[0]).toMatch(/^`.*` is not a valid git ref: /);
      expect(answers[0]).toContain(why);
      expect(scriptRan()).toBe(false);
      expect(channelMessages(h, 'C0STAGING')).toEqual([]);
    });

    it('refuse a malformed ref in /rollback, in a button, and at the deployer itself', async () => {
      await deployScript();
      await start();
      expect(await command(h, 'U0ALICE', '/rollback web staging to -rf', 'C0STAGING')).toEqual([
        expect.stringContaining('`-rf` is not a valid git ref'),
      ]);

      const value = JSON.stringify({ service: 'web', environment: 'staging', ref: '--upload-pack=touch pwned' });
      const click = await h.slack.blockAction({
        userId: 'U0ALICE',
        channelId: 'C0STAGING',
        actionId: 'deploy_confirm',
        value,
        messageTs: '1.000001',
      });
      await h.tugboat.settle();
      expect(
        h.slackApi.responses.filter((r) => click.responseUrl.endsWith(r.id)).map((r) => String(r.body.text)),
      ).toEqual([expect.stringContaining('is not a valid git ref: it starts with `-`')]);

      const attempt = await h.tugboat.deployer.deploy({
        service: 'web',
        environment: 'staging',
        ref: 'a..b',
        requestedBy: 'U0ALICE',
        force: false,
        confirmBadSha: false,
      });
      expect(attempt.ok).toBe(false);
      expect(!attempt.ok && attempt.preflight.checks.find((c) => c.name === 'ref')).toEqual({
        name: 'ref',
        passed: false,
        blocker: { kind: 'invalid-ref', ref: 'a..b', problem: 'it contains `..`' },
      });
      expect(h.githubApi.callsTo('GET /repos/{owner}/{repo}/commits/{ref}')).toEqual([]);

      await h.tugboat.settle();
      expect(scriptRan()).toBe(false);
      expect(channelMessages(h, 'C0STAGING')).toEqual([]);
    });
  });
}

describe('deploy.env in tugboat.yml', () => {
  const problemsOf = (yaml: string): string[] => {
    try {
      parseConfig(yaml, 'tugboat.yml');
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };
  const line = (yaml: string, text: string) => yaml.split('\n').findIndex((l) => l.includes(text)) + 1;

  it('refuses tugboat’s own secrets, naming the key path and line', () => {
    const yaml = configWith(
      '    deploy:\n      via: command\n      run: ["./scripts/deploy.sh"]\n      env:\n        - AWS_PROFILE\n        - SLACK_BOT_TOKEN\n        - TUGBOAT_WEBHOOK_SECRET',
    );
    expect(problemsOf(yaml)).toEqual([
      `tugboat.yml: services.web.deploy.env[1] (line ${line(yaml, '- SLACK_BOT_TOKEN')}): SLACK_BOT_TOKEN is one of tugboat's own secrets, which deploy scripts never receive; give the script a credential of its own`,
      `tugboat.yml: services.web.deploy.env[2] (line ${line(yaml, '- TUGBOAT_WEBHOOK_SECRET')}): TUGBOAT_WEBHOOK_SECRET is one of tugboat's own secrets, which deploy scripts never receive; give the script a credential of its own`,
    ]);
  });

  it('refuses names that are no variable names, and the deploy variables tugboat sets itself', () => {
    const yaml = configWith(
      '    deploy: { via: command, run: ["./scripts/deploy.sh"], env: ["AWS-PROFILE", TUGBOAT_SHA] }',
    );
    const at = line(yaml, 'AWS-PROFILE');
    expect(problemsOf(yaml)).toEqual([
      `tugboat.yml: services.web.deploy.env[0] (line ${at}): expected an environment variable name like AWS_PROFILE, got "AWS-PROFILE"`,
      `tugboat.yml: services.web.deploy.env[1] (line ${at}): TUGBOAT_SHA is set by tugboat for each deploy; the script always receives it`,
    ]);
  });

  it('is only for via: command', () => {
    const yaml = configWith('    deploy: { via: workflow, workflow: deploy.yml, env: [AWS_PROFILE] }');
    expect(problemsOf(yaml)).toEqual([
      `tugboat.yml: services.web.deploy.env (line ${line(yaml, 'via: workflow')}): only via: command runs a script, so only it is given environment variables`,
    ]);
  });

  it('refuses a default_ref or auto-deploy branch that is not a valid git ref', () => {
    const yaml = FIXTURE_CONFIG.replace('    repo: acme/web\n', '    repo: acme/web\n    default_ref: "-main"\n');
    expect(problemsOf(yaml)).toEqual([
      `tugboat.yml: services.web.default_ref (line ${line(yaml, 'default_ref: "-main"')}): "-main" is not a valid git ref: it starts with \`-\`, which git would read as an option`,
    ]);
  });
});
