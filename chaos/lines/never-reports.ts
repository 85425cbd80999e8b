import { deploymentStatusPayload } from '../../src/fakes/deploy-payloads.ts';
import { deliver, runCommand, waitUntil } from '../people.ts';
import { Tally, type ChaosLine } from '../table.ts';
import { channelOf, NEVER_REPORTS_TIMEOUT, type World } from '../world.ts';
import { postsContaining } from './seen.ts';

/**
 * A GitHub deployment nobody ever reports on (`deploy.timeout: 10s`), then a second deploy that
 * GitHub reports as successful. Actions: the first timed out once (row, GitHub deployment marked
 * error, thread message), and the environment free again: the second deploy created and succeeded.
 */
export async function neverReports(world: World): Promise<ChaosLine> {
  const channel = channelOf('limbo');
  const deployments = () => world.githubApi.deployments('acme/ghost');
  const rows = () =>
    world.query<{ id: number; status: string; stop_reason: string | null }>(
      `select id, status, stop_reason from deploys where service = 'ghost' order by id`,
    );
  const started = Date.now();
  await runCommand(world, 'U0ALICE', '/deploy ghost to limbo', channel, () => deployments().length > 0);
  await waitUntil(async () => (await rows())[0]?.status === 'unknown', 90_000);
  const timedOutAfter = Date.now() - started;
  await runCommand(world, 'U0ALICE', '/deploy ghost to limbo', channel, () => deployments().length > 1);
  const second = deployments()[1];
  if (second)
    await deliver(world, 'deployment_status', deploymentStatusPayload('acme/ghost', second.id, 'success', second));
  await waitUntil(async () => (await rows())[1]?.status === 'succeeded', 30_000);

  const [first, next] = await rows();
  const timeoutMessage = `No outcome within ${NEVER_REPORTS_TIMEOUT}`;
  await waitUntil(() => postsContaining(world, timeoutMessage) > 0, 60_000);
  const seen = new Tally();
  seen.see('first deploy timed out (row)', first?.status === 'unknown' && first.stop_reason === 'timed_out' ? 1 : 0);
  seen.see(
    'its GitHub deployment marked error',
    deployments()[0]?.statuses.filter((s) => s.state === 'error').length ?? 0,
  );
  seen.see('its timeout announced', postsContaining(world, timeoutMessage));
  seen.see('environment free: next deploy created on GitHub', deployments().length - 1);
  seen.see('next deploy succeeded', next?.status === 'succeeded' ? 1 : 0);
  return seen.line(`a deployment that never reports (timeout ${NEVER_REPORTS_TIMEOUT})`, 1, [
    `timed out and freed ${Math.round(timedOutAfter / 1000)} s after /deploy (timeouts are found by the deploy sweep, every 15 s)`,
  ]);
}
