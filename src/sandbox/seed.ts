import { createHash } from 'node:crypto';
import type { Config } from '../config/index.ts';
import type { FakeGitHubApi } from '../fakes/github-api.ts';
import type { FakeSlackApi } from '../fakes/slack-api.ts';

/**
 * Fills the sandbox's Slack workspace and GitHub from the config: its people become Slack users
 * (named after their GitHub logins) and GitHub users, its channels Slack channels, and each
 * service's repository gets a short history on main with green CI, two tags and a branch whose CI
 * is red.
 */

export interface SandboxPerson {
  slackId: string;
  login: string;
  /** The Slack handle, e.g. `alice`. */
  name: string;
  /** e.g. `Alice Chen`. */
  realName: string;
}

export interface SeededRepo {
  fullName: string;
  /** main's commits, oldest first; the first is what every environment serves at the start. */
  commits: string[];
  /** A branch whose CI failed, for trying `require_ci`. */
  redBranch: { name: string; sha: string };
}

export interface Seeded {
  people: SandboxPerson[];
  repos: SeededRepo[];
  /** Each service's oldest commit on main. */
  firstShas: Record<string, string>;
}

/** A channel everyone is in that no config entry names: commands typed there pick defaults. */
export const GENERAL_CHANNEL = { id: 'C0SBGENERAL', name: 'general' };

const HISTORY = [
  ['Start the service with a health endpoint', 'v1.0.0'],
  ['Retry upstream calls with backoff', 'v1.1.0'],
  ['Cache lookups for a minute', undefined],
] as const;

export function seedSandbox(config: Config, slack: FakeSlackApi, github: FakeGitHubApi): Seeded {
  const people = Object.entries(config.people).map(([login, slackId]) => person(login, slackId));
  for (const p of people) {
    slack.addUser({ id: p.slackId, name: p.name, real_name: p.realName, tz: 'UTC', email: emailOf(p.login) });
    github.addUser({ login: p.login, name: p.realName, email: emailOf(p.login) });
  }
  // Everyone else the config names (admins, deployers, owners) is a person too, if not in people:.
  for (const id of slackIdsOf(config)) {
    if (!slack.user(id)) slack.addUser({ id, name: id.toLowerCase(), real_name: id, tz: 'UTC' });
  }
  const members = slack
    .users()
    .filter((u) => !u.is_bot)
    .map((u) => u.id);
  for (const [id, name] of channelNames(config)) slack.addChannel({ id, name, members: [...members] });
  slack.addChannel({ ...GENERAL_CHANNEL, members: [...members] });

  const logins = people.map((p) => p.login);
  const repos: SeededRepo[] = [];
  const firstShas: Record<string, string> = {};
  for (const [service, settings] of Object.entries(config.services)) {
    let repo = repos.find((r) => r.fullName.toLowerCase() === settings.repo.toLowerCase());
    if (!repo) {
      repo = seedRepo(github, settings.repo, settings.default_ref, logins);
      repos.push(repo);
    }
    firstShas[service] = repo.commits[0];
  }
  return { people, repos, firstShas };
}

function seedRepo(github: FakeGitHubApi, fullName: string, branch: string, logins: string[]): SeededRepo {
  github.addRepo(fullName, { defaultBranch: branch });
  const commits: string[] = [];
  HISTORY.forEach(([message, tag], index) => {
    const sha = fakeSha(`${fullName}#${index}`);
    const login = logins[index % Math.max(logins.length, 1)];
    github.addCommit(fullName, {
      sha,
      message,
      author: login ? { login, name: login, email: emailOf(login) } : undefined,
    });
    greenCi(github, fullName, sha);
    if (tag) github.setTag(fullName, tag, sha);
    commits.push(sha);
  });
  github.setBranch(fullName, branch, commits.at(-1)!);
  const red = { name: 'feature/flaky-tests', sha: fakeSha(`${fullName}#red`) };
  github.addCommit(fullName, {
    sha: red.sha,
    message: 'Try a faster test runner',
    parents: [commits.at(-1)!],
    author: logins[1] ? { login: logins[1] } : undefined,
  });
  github.setBranch(fullName, red.name, red.sha);
  github.setCommitStatus(fullName, red.sha, { context: 'ci/build', state: 'success', description: 'Build passed' });
  github.setCheckRun(fullName, red.sha, {
    name: 'test',
    status: 'completed',
    conclusion: 'failure',
    output: { title: '3 tests failed', summary: 'Timeouts in the orders suite' },
  });
  return { fullName, commits, redBranch: red };
}

/** The checks a healthy commit has: a commit status and a check run, both green. */
export function greenCi(github: FakeGitHubApi, repo: string, sha: string): void {
  github.setCommitStatus(repo, sha, { context: 'ci/build', state: 'success', description: 'Build passed' });
  github.setCheckRun(repo, sha, {
    name: 'test',
    status: 'completed',
    conclusion: 'success',
    output: { title: 'All tests passed', summary: '' },
  });
}

/** A SHA-shaped, stable name for a commit, so the sandbox looks the same on every start. */
export function fakeSha(seed: string): string {
  return createHash('sha1').update(`tugboat-sandbox:${seed}`).digest('hex');
}

/** `alice-chen` → handle `alice`, name `Alice Chen`. */
function person(login: string, slackId: string): SandboxPerson {
  const words = login.split(/[-_.]+/).filter(Boolean);
  return {
    slackId,
    login,
    name: (words[0] ?? login).toLowerCase(),
    realName: words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ') || login,
  };
}

function emailOf(login: string): string {
  return `${login}@sandbox.example`;
}

function slackIdsOf(config: Config): Set<string> {
  return new Set([
    ...config.admins,
    ...Object.values(config.environments).flatMap((env) => env.deployers ?? []),
    ...Object.values(config.services).flatMap((service) => service.owners),
    ...config.incidents.invite,
  ]);
}

/** A readable name for each channel the config names, from what it is for. */
export function channelNames(config: Config): Map<string, string> {
  const names = new Map<string, string>();
  const name = (id: string, wanted: string) => {
    if (names.has(id)) return;
    const taken = new Set(names.values());
    let candidate = wanted;
    for (let n = 2; taken.has(candidate); n += 1) candidate = `${wanted}-${n}`;
    names.set(id, candidate);
  };
  for (const [env, settings] of Object.entries(config.environments)) name(settings.channel, `deploys-${env}`);
  const reviewChannels = new Set(
    Object.values(config.services).flatMap((s) => (s.review_channel ? [s.review_channel] : [])),
  );
  for (const [service, settings] of Object.entries(config.services)) {
    if (settings.review_channel)
      name(settings.review_channel, reviewChannels.size === 1 ? 'code-review' : `reviews-${service}`);
  }
  for (const [id, binding] of Object.entries(config.channels)) {
    name(
      id,
      binding.service && binding.environment
        ? `${binding.service}-${binding.environment}`
        : `team-${binding.service ?? binding.environment}`,
    );
  }
  return names;
}
