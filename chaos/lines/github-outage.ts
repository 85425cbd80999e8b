import { commentPayload } from '../../src/fakes/review-payloads.ts';
import { buttonValue, click, deliver, runCommand, sleep, waitUntil } from '../people.ts';
import { Tally, type ChaosLine } from '../table.ts';
import { channelOf, REVIEW_CHANNEL, SETTLE_MS, type World } from '../world.ts';
import { postsContaining, reviewPings } from './seen.ts';

const OUTAGE_MS = 60_000;
const PULL_REQUESTS = [301, 302, 303, 304];
const commentId = (number: number) => 900_000 + number;

/**
 * GitHub answers every API call with 502 for 60 s, then recovers. Before it, Carol's deploy of api
 * to `gh` is queued behind Bob's lock; during it, Bob unlocks (the queued deploy's preflight needs
 * GitHub) and authors comment "ready for review @bob" on pull requests tugboat has not seen (their
 * handling reads the pull request, requests the review and reacts on GitHub). Actions: the queued
 * deploy started once (one GitHub deployment, one DM to Carol), and per comment one ping in
 * Slack, one review request and one reaction on GitHub.
 */
export async function githubOutage(world: World): Promise<ChaosLine> {
  const over = world.fault();
  const { githubApi } = world;
  for (const number of PULL_REQUESTS) {
    githubApi.addPullRequest('acme/api', {
      number,
      title: `Change ${number}`,
      user: 'octocat',
      head: { ref: `change-${number}`, sha: 'a'.repeat(40) },
    });
  }
  const channel = channelOf('gh');
  await runCommand(world, 'U0BOB', '/lock gh', channel);
  const refused = await runCommand(world, 'U0CAROL', '/deploy api to gh', channel);
  const queueMe = buttonValue(world, refused.responseUrl, 'deploy_queue');
  if (!queueMe) throw new Error(`/deploy api to gh was not refused with Queue me: ${refused.text}`);
  await click(world, 'U0CAROL', channel, 'deploy_queue', queueMe);

  const callsBefore = githubApi.calls.length;
  const outageStarted = Date.now();
  githubApi.startOutage({ status: 502 });
  await runCommand(world, 'U0BOB', '/unlock gh', channel);
  await Promise.all(
    PULL_REQUESTS.map(async (number, i) => {
      await sleep(i * 3_000);
      await deliver(
        world,
        'issue_comment',
        commentPayload({ number, by: 'octocat', id: commentId(number), body: 'ready for review @bob' }),
      );
    }),
  );
  await sleep(OUTAGE_MS - (Date.now() - outageStarted));
  githubApi.endOutage();
  over();
  const injected = githubApi.calls.slice(callsBefore).filter((call) => call.status === 502).length;

  const succeeded = (route: string, matches: (params: Record<string, string>) => boolean) =>
    githubApi.callsTo(route).filter((call) => call.status < 300 && matches(call.params)).length;
  const count = () => {
    const seen = new Tally();
    seen.see(
      'queued deploy started (GitHub deployment)',
      githubApi.deployments('acme/api').filter((d) => d.environment === 'gh').length,
    );
    seen.see('queued deploy started (DM to its requester)', postsContaining(world, 'Your queued deploy of *api*'));
    for (const number of PULL_REQUESTS) {
      seen.see(`ready-for-review ping #${number}`, reviewPings(world, REVIEW_CHANNEL, number).readyPings);
      seen.see(
        `review requested on GitHub #${number}`,
        succeeded(
          'POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
          (p) => p.pull_number === String(number),
        ),
      );
      seen.see(
        `reaction on comment of #${number}`,
        githubApi.reactions('acme/api').filter((r) => r.comment_id === commentId(number)).length,
      );
    }
    return seen;
  };
  const recovered = Date.now();
  const all = await waitUntil(() => count().line('', 0).lost === 0, SETTLE_MS);
  return count().line('GitHub 502 for 60 s', injected, [
    `GitHub calls answered 502: ${injected}; ${all ? 'everything done' : 'counted'} ${Math.round((Date.now() - recovered) / 1000)} s after GitHub recovered (webhook retries back off 10, 20, 40 s)`,
  ]);
}
