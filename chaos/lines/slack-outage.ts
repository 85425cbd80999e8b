import { pullRequestPayload } from '../../src/fakes/review-payloads.ts';
import { deliver, runCommand, sleep, waitUntil } from '../people.ts';
import { Tally, type ChaosLine } from '../table.ts';
import { channelOf, REVIEW_CHANNEL, SETTLE_MS, SLACK_LOCK_ENVS, type World } from '../world.ts';
import { lockAnnouncements, reviewPings } from './seen.ts';

const FAILING_MS = 20_000;
const HANGING_MS = 60_000;
const PULL_REQUESTS = Array.from({ length: 10 }, (_, i) => 201 + i);

/**
 * Slack answers every Web API call with 500 for 20 s, then leaves every call hanging (read, never
 * answered nor acted on) for 60 s, then recovers. Meanwhile people lock environments and GitHub
 * delivers review requests. Actions: each lock announced once and each review thread and ping
 * posted once, after Slack recovered.
 */
export async function slackOutage(world: World): Promise<ChaosLine> {
  const over = world.fault();
  const failedBefore = world.slackApi.failed.length;
  const halves = [SLACK_LOCK_ENVS.slice(0, 3), SLACK_LOCK_ENVS.slice(3)];
  const prHalves = [PULL_REQUESTS.slice(0, 5), PULL_REQUESTS.slice(5)];
  const during = async (envs: string[], numbers: number[]) => {
    await Promise.all([
      ...envs.map((env) => runCommand(world, 'U0ALICE', `/lock ${env}`, channelOf(env))),
      ...numbers.map((number) =>
        deliver(
          world,
          'pull_request',
          pullRequestPayload('review_requested', { number, reviewers: ['bob'] }, { reviewer: 'bob' }),
        ),
      ),
    ]);
  };

  world.slackApi.startOutage({ status: 500 });
  const failing = during(halves[0], prHalves[0]);
  await sleep(FAILING_MS);
  world.slackApi.endOutage();
  world.slackApi.startOutage({ hang: true });
  const hanging = during(halves[1], prHalves[1]);
  await sleep(HANGING_MS);
  const injected = world.slackApi.failed.length - failedBefore;
  world.slackApi.endOutage();
  over();
  await Promise.all([failing, hanging]);

  const count = () => {
    const seen = new Tally();
    for (const env of SLACK_LOCK_ENVS) seen.see(`lock ${env}`, lockAnnouncements(world, env).taken);
    for (const number of PULL_REQUESTS) {
      const { threads, pings } = reviewPings(world, REVIEW_CHANNEL, number);
      seen.see(`thread #${number}`, threads);
      seen.see(`review ping #${number}`, pings);
    }
    return seen;
  };
  const recovered = Date.now();
  const all = await waitUntil(() => count().line('', 0).lost === 0, SETTLE_MS);
  const tally = count();
  return tally.line('Slack 500 for 20 s, then hanging 60 s', injected, [
    `Slack calls answered 500 or left hanging: ${injected}; ${all ? 'everything out' : 'counted'} ${Math.round((Date.now() - recovered) / 1000)} s after Slack recovered (outbox retries back off up to 60 s)`,
  ]);
}
