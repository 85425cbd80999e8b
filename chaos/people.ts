import { randomUUID } from 'node:crypto';
import type { World } from './world.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the person saw: the command's answers (its HTTP answer and response_url posts), or nothing. */
export interface Answered {
  text: string;
  responseUrl: string;
}

const NOTHING_DONE = /cannot reach its database/;

/**
 * A person running a slash command the way people do: on whichever replica the load balancer
 * picks, and again when tugboat says nothing was done, or says nothing within 15 s while `seen`
 * (what the person looks for in the channel) does not hold either.
 */
export async function runCommand(
  world: World,
  userId: string,
  line: string,
  channelId: string,
  seen: () => boolean = () => false,
): Promise<Answered> {
  const [command, ...rest] = line.split(' ');
  for (let attempt = 0; attempt < 30; attempt++) {
    const replica = await world.live();
    const sent = await world
      .slack(replica)
      .slashCommand({ command, text: rest.join(' '), userId, channelId })
      .catch(() => undefined);
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
  throw new Error(`${line}: no answer after 30 tries`);
}

/** The `value` of a button in the answer a response_url received. */
export function buttonValue(world: World, responseUrl: string, actionId: string): string | undefined {
  const posted = world.slackApi.responses.find((r) => responseUrl.endsWith(r.id));
  const blocks = (posted?.body.blocks ?? []) as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>;
  return blocks.flatMap((block) => block.elements ?? []).find((element) => element.action_id === actionId)?.value;
}

/** A click on a button of an answer, tried again like a command. */
export async function click(
  world: World,
  userId: string,
  channelId: string,
  actionId: string,
  value: string,
): Promise<string> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const replica = await world.live();
    const sent = await world
      .slack(replica)
      .blockAction({ userId, channelId, actionId, value })
      .catch(() => undefined);
    if (sent?.status !== 200) {
      await sleep(1000);
      continue;
    }
    const answered = await world.slackApi
      .waitForResponse((r) => sent.responseUrl.endsWith(r.id), 15_000)
      .then(
        (r) => String(r.body.text ?? ''),
        () => '',
      );
    if (answered.trim() === '' || NOTHING_DONE.test(answered)) {
      await sleep(1000);
      continue;
    }
    return answered;
  }
  throw new Error(`${actionId}: no answer after 30 tries`);
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
