import { readFileSync } from 'node:fs';
import { pullRequestPayload } from '../../src/fakes/review-payloads.ts';
import { buttonValue, click, runCommand, waitUntil } from '../people.ts';
import type { Replica } from '../replicas.ts';
import { Tally, type ChaosLine } from '../table.ts';
import { channelOf, REVIEW_CHANNEL, SETTLE_MS, sha, SHUTDOWN_GRACE, type World } from '../world.ts';
import { postsContaining, reviewPings } from './seen.ts';

const KILLED_PULL_REQUESTS = Array.from({ length: 10 }, (_, i) => 401 + i);

interface DeployRow {
  id: number;
  sha: string;
  status: string;
  stop_reason: string | null;
}

const deploysTo = (world: World, environment: string) =>
  world.query<DeployRow>('select id, sha, status, stop_reason from deploys where environment = $1 order by id', [
    environment,
  ]);

/** Running, not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The deploy script's pid once it has started, and the replica it runs under. */
async function scriptOf(world: World, deployId: number): Promise<{ pid: number; replica: Replica }> {
  let found: { pid: number; replica: Replica } | undefined;
  await waitUntil(async () => {
    const pid = (await world.scriptRuns()).started.get(deployId);
    const parent =
      pid === undefined ? undefined : Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    const replica = world.replicas.find((r) => r.pid === parent);
    if (pid !== undefined && replica) found = { pid, replica };
    return found !== undefined;
  }, 30_000);
  if (!found) throw new Error(`the script of deploy #${deployId} never started`);
  return found;
}

/** The newest deploy to an environment once there is one newer than `after`. */
async function newDeploy(world: World, environment: string, after = 0): Promise<DeployRow> {
  let row: DeployRow | undefined;
  await waitUntil(
    async () => (row = (await deploysTo(world, environment)).find((d) => d.id > after)) !== undefined,
    30_000,
  );
  if (!row) throw new Error(`no new deploy to ${environment}`);
  return row;
}

/**
 * `kill -9` of a replica right after it answered 202 to ten review-request deliveries, then the
 * replica restarted. Actions: each pull request's thread and ping posted once, by whichever replica
 * took the deliveries up again after their lease.
 */
export async function killAfterAccepted(world: World): Promise<ChaosLine> {
  const replica = world.replicas[0];
  const { killedAt, deliveryIds } = await world.exclusively(async () => {
    const sender = world.github(replica);
    const answers = await Promise.all(
      KILLED_PULL_REQUESTS.map((number) =>
        sender.deliver(
          'pull_request',
          pullRequestPayload('review_requested', { number, reviewers: ['bob'] }, { reviewer: 'bob' }),
        ),
      ),
    );
    await replica.kill();
    const at = Date.now();
    if (answers.some((a) => a.status !== 202))
      throw new Error(`deliveries answered ${answers.map((a) => a.status).join(', ')}`);
    await replica.start();
    return { killedAt: at, deliveryIds: answers.map((a) => a.deliveryId) };
  });
  const count = () => {
    const seen = new Tally();
    for (const number of KILLED_PULL_REQUESTS) {
      const { threads, pings } = reviewPings(world, REVIEW_CHANNEL, number);
      seen.see(`thread #${number}`, threads);
      seen.see(`review ping #${number}`, pings);
    }
    return seen;
  };
  const [unhandled] = await world.query<{ n: string }>(
    `select count(*) as n from github_deliveries where delivery_id = any($1) and status <> 'done'`,
    [deliveryIds],
  );
  const all = await waitUntil(() => count().line('', 0).lost === 0, SETTLE_MS);
  return count().line('kill -9 right after 202 to 10 webhooks', 1, [
    `deliveries not yet handled at the restart: ${unhandled.n} of ${deliveryIds.length}; ${all ? 'all posted' : 'counted'} ${Math.round((Date.now() - killedAt) / 1000)} s after the kill (the inbox lease is 60 s)`,
  ]);
}

/**
 * `kill -9` of the replica running a `via: command` deploy script (and the script with it, as when
 * a pod dies), the replica restarted, and the same person deploying again at once (queued when
 * refused). Actions: the killed deploy marked, the next deploy run once, and never two scripts of
 * the service and environment at once.
 */
export async function killMidDeploy(world: World): Promise<ChaosLine> {
  const channel = channelOf('crash');
  const started = Date.now();
  const killed = await world.exclusively(async () => {
    await runCommand(world, 'U0DAVE', `/deploy web ${sha('slow')} to crash`, channel);
    const first = await newDeploy(world, 'crash');
    const script = await scriptOf(world, first.id);
    await script.replica.kill();
    await script.replica.start();
    return first;
  });
  const again = await runCommand(world, 'U0DAVE', `/deploy web ${sha('fast')} to crash`, channel);
  const queueMe = buttonValue(world, again.responseUrl, 'deploy_queue');
  if (queueMe) await click(world, 'U0DAVE', channel, 'deploy_queue', queueMe);

  const settled = async () => {
    const rows = await deploysTo(world, 'crash');
    const first = rows.find((d) => d.id === killed.id)!;
    return { first, next: rows.filter((d) => d.sha === sha('fast')) };
  };
  await waitUntil(async () => {
    const { first, next } = await settled();
    return first.status !== 'running' && next.some((d) => d.status === 'succeeded');
  }, 120_000);
  const { first, next } = await settled();
  const runs = await world.scriptRuns();
  const seen = new Tally();
  seen.see(
    `killed deploy #${first.id} marked (${first.status}${first.stop_reason ? `, ${first.stop_reason}` : ''})`,
    first.status === 'running' || first.status === 'pending' ? 0 : 1,
  );
  seen.see('next deploy succeeded', next.filter((d) => d.status === 'succeeded').length);
  seen.see('next deploy script run', next.filter((d) => runs.started.has(d.id)).length);
  seen.see('one script at a time', [first, ...next].some((d) => runs.overlaps.has(d.id)) ? 2 : 1);
  return seen.line('kill -9 during a command deploy', 1, [
    `killed deploy marked ${first.status}${first.stop_reason ? ` (${first.stop_reason})` : ''}, and the next deploy done ${Math.round((Date.now() - started) / 1000)} s after the first started (a deploy lease lapses after 15 s)`,
  ]);
}

/**
 * `SIGTERM` to a replica running two command deploys: one script finishes within
 * TUGBOAT_SHUTDOWN_GRACE, the other does not. Actions: the first deploy succeeded once, the second
 * stopped, marked unknown and announced once, no script left running, and the process exited 0.
 */
export async function sigtermMidDeploy(world: World): Promise<ChaosLine> {
  const replica = world.replicas[1];
  const outcome = await world.exclusively(async () => {
    const slack = world.slack(replica);
    const sent = await Promise.all([
      slack.slashCommand({
        command: '/deploy',
        text: `web ${sha('medium')} to drainok`,
        userId: 'U0ERIN',
        channelId: channelOf('drainok'),
      }),
      slack.slashCommand({
        command: '/deploy',
        text: `web ${sha('slow')} to drainslow`,
        userId: 'U0ERIN',
        channelId: channelOf('drainslow'),
      }),
    ]);
    if (sent.some((s) => s.status !== 200))
      throw new Error(`deploy commands answered ${sent.map((s) => s.status).join(', ')}`);
    const [ok, slow] = [await newDeploy(world, 'drainok'), await newDeploy(world, 'drainslow')];
    const scripts = [await scriptOf(world, ok.id), await scriptOf(world, slow.id)];
    const stopping = Date.now();
    const code = await replica.terminate();
    const tookMs = Date.now() - stopping;
    await replica.start();
    return { ok, slow, scripts, code, tookMs };
  });
  const rowsOf = async () => {
    const [ok] = (await deploysTo(world, 'drainok')).filter((d) => d.id === outcome.ok.id);
    const [slow] = (await deploysTo(world, 'drainslow')).filter((d) => d.id === outcome.slow.id);
    return { ok, slow };
  };
  const graceMessage = `it had not finished after the ${SHUTDOWN_GRACE} grace`;
  await waitUntil(async () => {
    const { ok, slow } = await rowsOf();
    return ok.status === 'succeeded' && slow.status === 'unknown' && postsContaining(world, graceMessage) > 0;
  }, 60_000);
  const { ok, slow } = await rowsOf();
  const runs = await world.scriptRuns();
  const seen = new Tally();
  seen.see('deploy within the grace succeeded', ok.status === 'succeeded' && runs.finished.has(ok.id) ? 1 : 0);
  seen.see(
    'deploy past the grace marked unknown (shutdown)',
    slow.status === 'unknown' && slow.stop_reason === 'shutdown' ? 1 : 0,
  );
  seen.see('its stop announced in its thread', postsContaining(world, graceMessage));
  seen.see('no script left running', outcome.scripts.some((s) => alive(s.pid)) ? 0 : 1);
  seen.see('process exited 0', outcome.code === 0 ? 1 : 0);
  return seen.line(`SIGTERM during command deploys (grace ${SHUTDOWN_GRACE})`, 1, [
    `exited with code ${outcome.code} ${(outcome.tookMs / 1000).toFixed(1)} s after SIGTERM`,
  ]);
}
