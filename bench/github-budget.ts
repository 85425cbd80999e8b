/**
 * GitHub calls per hour with 10 deploys queued behind `/lock all` (issue 11), for `npm run bench`:
 * an hour of the 15-second deploy sweep (240 ticks) driven directly on a simulated clock, with the
 * real app against the GitHub and Slack fakes on embedded PostgreSQL (PGlite). The same run
 * measures the sweep as it was before, which ran every queue's full preflight on each tick
 * (`deployer.plan`, the checks it ran), then releases the lock and counts the calls each queued
 * deploy makes to start.
 *
 * Alone: `npx tsx bench/github-budget.ts`.
 */
import { fileURLToPath } from 'node:url';
import { createTugboat } from '../src/app.ts';
import { parseConfig } from '../src/config/index.ts';
import { enqueue } from '../src/deploys/index.ts';
import { FakeGitHubApi } from '../src/fakes/github-api.ts';
import { FakeSlackApi } from '../src/fakes/slack-api.ts';
import { acquireLock, releaseLock } from '../src/locks/index.ts';
import { createLogger } from '../src/log.ts';
import { migrate, openStore } from '../src/store/index.ts';

const QUEUED = 10;
const SWEEP_MS = 15_000;
const HOURLY_LIMIT = 5000;
const TICKS_PER_HOUR = (60 * 60_000) / SWEEP_MS;
const SERVICES = Array.from({ length: QUEUED }, (_, i) => `svc${i}`);
/** Production as most teams run it: CI must be green, so a preflight reads the commit, its statuses and its check runs. */
const CONFIG = `
admins: [U0ADMIN]
environments:
  production: { channel: C0DEPLOYS, require_ci: true }
services:
${SERVICES.map((name) => `  ${name}: { repo: acme/${name}, environments: [production], deploy: { via: github-deployment } }`).join('\n')}
`;

export interface GitHubBudgetFigures {
  before: number;
  after: number;
  onRelease: { calls: number; preflightCalls: number; started: number };
}

export async function benchGitHubBudget(): Promise<GitHubBudgetFigures> {
  let now = new Date('2026-11-20T15:00:00Z');
  const clock = () => new Date(now);
  const store = await openStore({});
  await migrate(store);
  const slackApi = await FakeSlackApi.start({ token: 'xoxb-bench' });
  slackApi.addChannel({ id: 'C0DEPLOYS', name: 'deploys' });
  const githubApi = await FakeGitHubApi.start();
  for (const name of SERVICES) {
    githubApi.addRepo(`acme/${name}`, { defaultBranch: 'main' });
    const commit = githubApi.addCommit(`acme/${name}`, {
      sha: '0123456789abcdef0123456789abcdef01234567',
      message: 'one',
    });
    githubApi.setBranch(`acme/${name}`, 'main', commit.sha);
    githubApi.setCheckRun(`acme/${name}`, commit.sha, { name: 'ci', status: 'completed', conclusion: 'success' });
  }
  const tugboat = createTugboat({
    slack: {
      botToken: 'xoxb-bench',
      signingSecret: 'bench',
      apiUrl: slackApi.url,
      clientOptions: { retryConfig: { retries: 0 } },
    },
    github: { webhookSecret: 'bench', apiUrl: githubApi.url, token: 'ghp_bench' },
    deploys: { commandCwd: process.cwd() },
    config: parseConfig(CONFIG, 'tugboat.yml'),
    store,
    log: createLogger({ level: 'silent', secrets: [] }),
    now: clock,
    poster: { minIntervalMs: 0 },
  });
  const sweep = tugboat.jobs.find((job) => job.name === 'deploy-sweep')!;
  // Counted, not enforced: the old sweep would have used up GitHub's 5,000 within the hour.
  githubApi.setRateLimit({ limit: 1e9, remaining: 1e9, resetAt: new Date(now.getTime() + 3 * 60 * 60_000) });
  try {
    await acquireLock(store, {
      scope: { kind: 'all' },
      holder: 'U0BOB',
      reason: 'code freeze',
      channel: 'C0DEPLOYS',
      durationSeconds: 86_400,
      now: clock(),
    });
    for (const service of SERVICES)
      await enqueue(store, {
        service,
        environment: 'production',
        ref: 'main',
        requestedBy: 'U0ALICE',
        channel: 'C0DEPLOYS',
        now: clock(),
      });

    const callsDuringAnHour = async (tick: () => Promise<void>) => {
      const before = githubApi.calls.length;
      for (let i = 0; i < TICKS_PER_HOUR; i++) {
        now = new Date(now.getTime() + SWEEP_MS);
        await tick();
      }
      return githubApi.calls.length - before;
    };
    const request = (service: string) => ({
      service,
      environment: 'production',
      ref: 'main',
      requestedBy: 'U0ALICE',
      force: false,
      confirmBadSha: false,
    });
    const before = await callsDuringAnHour(async () => {
      for (const service of SERVICES) await tugboat.deployer.plan(request(service));
    });
    const after = await callsDuringAnHour(() => sweep.run());

    await releaseLock(store, {
      scope: { kind: 'all' },
      actor: 'U0BOB',
      force: false,
      channel: 'C0DEPLOYS',
      now: clock(),
    });
    const released = githubApi.calls.length;
    await sweep.run();
    await tugboat.settle();
    const made = githubApi.calls.slice(released);
    return {
      before,
      after,
      onRelease: {
        calls: made.length,
        preflightCalls: made.filter((call) => call.method === 'GET').length,
        started: githubApi.callsTo('POST /repos/{owner}/{repo}/deployments').length,
      },
    };
  } finally {
    await tugboat.close();
    await slackApi.close();
    await githubApi.close();
    await store.close();
  }
}

export function githubBudgetReport(figures: GitHubBudgetFigures): string[] {
  const { before, after, onRelease } = figures;
  return [
    `\nGitHub calls per hour, ${QUEUED} deploys queued behind /lock all (require_ci; ${TICKS_PER_HOUR} sweeps of 15 s on a simulated clock, PGlite)`,
    `  before (every queue's full preflight on each sweep): ${before} calls/hour${before > HOURLY_LIMIT ? `: GitHub's ${HOURLY_LIMIT} for a token used up after ${Math.ceil((HOURLY_LIMIT / before) * 60)} minutes` : ''}`,
    `  now (locks and deploys in flight checked in the database first): ${after} calls/hour`,
    `  when the lock is released: ${onRelease.calls} calls, ${onRelease.preflightCalls / QUEUED} per queued deploy's preflight; ${onRelease.started} deploys started`,
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const line of githubBudgetReport(await benchGitHubBudget())) console.log(line);
}
