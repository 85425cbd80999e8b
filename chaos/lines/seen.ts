import { channelOf, type World } from '../world.ts';

/** What people see in Slack, counted so that a duplicate shows: each is a number of messages. */

/** Lock and release announcements of one environment in its channel. */
export function lockAnnouncements(world: World, env: string) {
  const texts = world.slackApi.messages(channelOf(env)).map((m) => String(m.text));
  return {
    taken: texts.filter((text) => text.startsWith(':lock:') && text.includes(`locked *${env}*`)).length,
    released: texts.filter((text) => text.startsWith(':unlock:') && text.includes(`released *${env}*`)).length,
  };
}

/** A pull request's thread roots in the review channel, and the review-request pings in them. */
export function reviewPings(world: World, channel: string, number: number) {
  const roots = world.slackApi.messages(channel).filter((m) => new RegExp(`\\* #${number}\\b`).test(String(m.text)));
  const replies = roots
    .flatMap((root) => world.slackApi.thread(channel, root.ts).filter((m) => m.ts !== root.ts))
    .map((m) => String(m.text));
  return {
    threads: roots.length,
    pings: replies.filter((text) => text.startsWith(':eyes:') && text.includes('asked <@U0BOB>')).length,
    readyPings: replies.filter((text) => text.startsWith(':wave:')).length,
  };
}

/** Messages posted anywhere (thread replies and direct messages included) whose text contains `part`. */
export function postsContaining(world: World, part: string): number {
  return world.slackApi
    .callsTo('chat.postMessage')
    .filter((call) => call.response.ok && String(call.args.text).includes(part)).length;
}
