import { randomUUID } from 'node:crypto';
import type { Replica } from './replicas.ts';
import type { World } from './world.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a person saw of a command or a click: its answer, and the response_url it came to. */
export interface Answered {
  text: string;
  responseUrl: string;
}

const NOTHING_DONE = /cannot reach its database/;

/**
 * A person acting the way people do: on whichever replica the load balancer picks, and again when
 * tugboat says nothing was done, or says nothing within 15 s while `seen` (what the person looks
 * for in the channel) does not hold either. The answer is the response_url post, else the HTTP one.
 */
async function untilAnswered(
  world: World,
  what: string,
  send: (replica: Replica) => Promise<{ status: number; body: string; responseUrl: string }>,
  seen: () => boolean,
): Promise<Answered> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const sent = await send(await world.live()).catch(() => undefined);
    if (sent?.status !== 200) {
      await sleep(1000);
      continue;
    }
    const answer = () => world.slackApi.responses.find((r) => sent.responseUrl.endsWith(r.id));
    await waitUntil(() => answer() !== undefined || seen(), 15_000);
    const answered = String(answer()?.body.text ?? sent.body);
    if (NOTHING_DONE.test(answered) || (answer() === undefined && !seen())) {
      await sleep(1000);
      continue;
    }
    return { text: answered, responseUrl: sent.responseUrl };
  }
  throw new Error(`${what}: no answer after 30 tries`);
}

export function runCommand(
  world: World,
  userId: string,
  line: string,
  channelId: string,
  seen: () => boolean = () => false,
): Promise<Answered> {
  const [command, ...rest] = line.split(' ');
  return untilAnswered(
    world,
    line,
    (replica) => world.slack(replica).slashCommand({ command, text: rest.join(' '), userId, channelId }),
    seen,
  );
}

/** The `value` of a button in the answer a response_url received. */
export function buttonValue(world: World, responseUrl: string, actionId: string): string | undefined {
  const posted = world.slackApi.responses.find((r) => responseUrl.endsWith(r.id));
  const blocks = (posted?.body.blocks ?? []) as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>;
  return blocks.flatMap((block) => block.elements ?? []).find((element) => element.action_id === actionId)?.value;
}

/** A click on a button of an answer. */
export function click(
  world: World,
  userId: string,
  channelId: string,
  actionId: string,
  value: string,
): Promise<Answered> {
  return untilAnswered(
    world,
    actionId,
    (replica) => world.slack(replica).blockAction({ userId, channelId, actionId, value }),
    () => false,
  );
}

/**
 * GitHub delivering a webhook: to whichever replica, and delivered again with the same delivery id
 * (as Redeliver does) until it is accepted. Returns the replica that accepted it.
 */
export async function deliver(world: World, event: string, payload: unknown, deliveryId: string = randomUUID()) {
  for (let attempt = 0; attempt < 120; attempt++) {
    const replica = await world.live();
    const sent = await world
      .github(replica)
      .deliver(event, payload, { deliveryId })
      .catch(() => undefined);
    if (sent && sent.status >= 200 && sent.status < 300) return { replica, deliveryId, attempts: attempt + 1 };
    await sleep(1000);
  }
  throw new Error(`${event} ${deliveryId} was never accepted`);
}

/** Waits until `done()` or the time is up; the line's figures say what happened either way. */
export async function waitUntil(done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await done()) return true;
    await sleep(500);
  }
  return done();
}
