/**
 * Review figures for `npm run bench` (issue 4), against the app process, PostgreSQL and fakes
 * that run.ts started: how long a signed `pull_request.review_requested` webhook takes to
 * become the Slack reply that pings the reviewer, how fast a stream of review events is
 * accepted and posted, and whether every channel's posts stayed at about one per second.
 *
 * The review channels belong to services svc0…svc9 of run.ts's CONFIG (repos acme/svcN); the
 * logins used here are all mapped in its `people:`, so no email lookups happen.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FakeGitHubApi } from '../src/fakes/github-api.ts';
import type { FakeSlackApi, SlackCall } from '../src/fakes/slack-api.ts';
import { githubWebhookHeaders } from '../src/fakes/signing.ts';
import { commentPayload, pullRequestPayload, reviewPayload } from '../src/fakes/review-payloads.ts';

/** The app's fold window: DEFAULT_FOLD_MS in src/slack/review-threads.ts (main.ts keeps the default). */
export const FOLD_MS = 1500;
/** Services svc0…svc(N-1) discuss their pull requests in a review channel each. */
export const REVIEW_CHANNELS = 10;
export const reviewChannel = (service: number) => `C0REVIEW${service}`;
const repoOf = (service: number) => `acme/svc${service}`;

const REVIEWERS = 16;
const reviewer = (i: number) => `reviewer${i % REVIEWERS}`;
const author = (service: number) => `author${service}`;
const slackUserOf = (login: string) => `U0${login.toUpperCase()}`;
const LOGINS = [
  ...Array.from({ length: REVIEWERS }, (_, i) => reviewer(i)),
  ...Array.from({ length: REVIEW_CHANNELS }, (_, i) => author(i)),
];
/** The `people:` block for tugboat.yml. */
export const REVIEW_PEOPLE_YAML = `people:\n${LOGINS.map((login) => `  ${login}: ${slackUserOf(login)}`).join('\n')}`;

/** Latency: one request in flight per channel, each to a new reviewer, on PRs 2…7 of each channel (PR 1 warms up). */
const LATENCY_PRS_PER_CHANNEL = 6;
const LATENCY_ROUNDS = 12;
/** Stream: PRs 101…120 of each channel, 10 events each, sent over this many connections. */
const STREAM_PRS_PER_CHANNEL = 20;
const STREAM_CONNECTIONS = 20;
/** PRs whose events are interleaved at any one time (2 per channel): a PR's burst fits one fold window, as when a team is busy on a few PRs each. */
const STREAM_WAVE_PRS = 2 * REVIEW_CHANNELS;
const STREAM_DRAIN_TIMEOUT_MS = 120_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

interface Pr {
  service: number;
  number: number;
}
const prId = (pr: Pr) => `${repoOf(pr.service)}#${pr.number}`;

const reviewRequestedPayload = (pr: Pr, requested: string[], newReviewer: string) =>
  pullRequestPayload(
    'review_requested',
    { number: pr.number, repo: repoOf(pr.service), author: author(pr.service), reviewers: requested },
    { reviewer: newReviewer },
  );

const reviewSubmittedPayload = (
  pr: Pr,
  by: string,
  state: 'approved' | 'changes_requested' | 'commented',
  id: number,
) =>
  reviewPayload({ number: pr.number, repo: repoOf(pr.service), author: author(pr.service), reviewer: by, state, id });

const readyCommentPayload = (pr: Pr, asked: string, id: number) =>
  commentPayload({
    number: pr.number,
    repo: repoOf(pr.service),
    by: author(pr.service),
    body: `Thanks for the notes. ready for review @${asked}`,
    id,
  });

async function deliver(appUrl: string, secret: string, event: string, body: string): Promise<number> {
  const response = await fetch(`${appUrl}/github/webhooks`, {
    method: 'POST',
    headers: githubWebhookHeaders({ secret, event, deliveryId: randomUUID(), body }),
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

// --- reading the Slack fake ---

const isPost = (call: SlackCall) => call.method === 'chat.postMessage';
const channelOf = (call: SlackCall) => String(call.args.channel);
const textOf = (call: SlackCall) => String(call.args.text ?? '');

interface ReplyLine {
  line: string;
  at: number;
}

/** Each PR's reply lines so far: roots are recognised by the PR link in their text, replies by `thread_ts`. */
function repliesByPr(calls: readonly SlackCall[]): Map<string, ReplyLine[]> {
  const rootOf = new Map<string, string>();
  const lines = new Map<string, ReplyLine[]>();
  for (const call of calls) {
    if (!isPost(call)) continue;
    const threadTs = call.args.thread_ts;
    if (threadTs === undefined) {
      const link = /https:\/\/github\.com\/([^/]+\/[^/]+)\/pull\/(\d+)\|/.exec(textOf(call));
      if (link && call.response.ts)
        rootOf.set(`${channelOf(call)} ${String(call.response.ts)}`, `${link[1]}#${link[2]}`);
      continue;
    }
    const pr = rootOf.get(`${channelOf(call)} ${String(threadTs)}`);
    if (!pr) continue;
    const list = lines.get(pr) ?? [];
    list.push(
      ...textOf(call)
        .split('\n')
        .map((line) => ({ line, at: call.at })),
    );
    lines.set(pr, list);
  }
  return lines;
}

export interface ChannelRate {
  channels: number;
  posts: number;
  /** The most calls into one channel inside any 1 s window (half-open, starting at a call). */
  maxPerSecond: number;
  /** The most calls into one channel inside any 10 s window. */
  maxPer10s: number;
  minGapMs: number;
  /** Consecutive calls into one channel less than 1 s apart, as the fake recorded them. */
  gapsUnder1s: number;
}

/** Sliding windows over the fake's `at` of each channel's calls. */
export function channelRate(calls: readonly SlackCall[]): ChannelRate {
  const byChannel = new Map<string, number[]>();
  for (const call of calls) {
    const times = byChannel.get(channelOf(call)) ?? [];
    times.push(call.at);
    byChannel.set(channelOf(call), times);
  }
  const result: ChannelRate = {
    channels: byChannel.size,
    posts: calls.length,
    maxPerSecond: 0,
    maxPer10s: 0,
    minGapMs: Infinity,
    gapsUnder1s: 0,
  };
  for (const times of byChannel.values()) {
    times.sort((a, b) => a - b);
    for (let i = 0, j1 = 0, j10 = 0; i < times.length; i++) {
      while (j1 < times.length && times[j1] < times[i] + 1000) j1++;
      while (j10 < times.length && times[j10] < times[i] + 10_000) j10++;
      result.maxPerSecond = Math.max(result.maxPerSecond, j1 - i);
      result.maxPer10s = Math.max(result.maxPer10s, j10 - i);
      if (i === 0) continue;
      result.minGapMs = Math.min(result.minGapMs, times[i] - times[i - 1]);
      if (times[i] - times[i - 1] < 1000) result.gapsUnder1s++;
    }
  }
  return result;
}

// --- the benchmarks ---

export interface ReviewBenchContext {
  appUrl: string;
  webhookSecret: string;
  slackApi: FakeSlackApi;
  githubApi: FakeGitHubApi;
}

function seed({ slackApi, githubApi }: ReviewBenchContext) {
  for (let service = 0; service < REVIEW_CHANNELS; service++) {
    if (!slackApi.channel(reviewChannel(service)))
      slackApi.addChannel({ id: reviewChannel(service), name: `reviews-svc${service}` });
    try {
      githubApi.repo(repoOf(service));
    } catch {
      githubApi.addRepo(repoOf(service), { defaultBranch: 'main' });
    }
    // `ready for review @x` comments ask GitHub for the review too: the PRs must exist there.
    for (let number = 1; number <= 100 + STREAM_PRS_PER_CHANNEL; number++) {
      githubApi.addPullRequest(repoOf(service), {
        number,
        title: `Change ${number}`,
        user: author(service),
        head: { ref: `change-${number}`, sha: randomBytes(20).toString('hex') },
      });
    }
  }
  for (const login of LOGINS) githubApi.addUser({ login });
}

/**
 * In each review channel at once, one `review_requested` at a time (each for a new reviewer,
 * rotating over 6 PRs), timed until the reply pinging that reviewer: the fold window, then the
 * root post (new thread) or root update, then the reply, spaced by the channel's queue.
 */
async function pingLatency(ctx: ReviewBenchContext) {
  const samples: Array<{ total: number; firstCall: number; newThread: boolean }> = [];
  await Promise.all(
    Array.from({ length: REVIEW_CHANNELS }, async (_, service) => {
      const channel = reviewChannel(service);
      const requested = new Map<number, string[]>();
      for (let round = -1; round < LATENCY_ROUNDS; round++) {
        const pr = { service, number: round < 0 ? 1 : 2 + (round % LATENCY_PRS_PER_CHANNEL) };
        const who = reviewer(round + 1);
        const earlier = requested.get(pr.number) ?? [];
        requested.set(pr.number, [...earlier, who]);
        const body = JSON.stringify(reviewRequestedPayload(pr, [...earlier, who], who));
        const sentAt = Date.now();
        const pinged = ctx.slackApi.waitFor(
          'chat.postMessage',
          (c) =>
            channelOf(c) === channel &&
            c.args.thread_ts !== undefined &&
            c.at >= sentAt &&
            textOf(c).includes(`<@${slackUserOf(who)}>`),
          30_000,
        );
        const status = await deliver(ctx.appUrl, ctx.webhookSecret, 'pull_request', body);
        if (status !== 202) throw new Error(`review_requested answered ${status}`);
        const reply = await pinged;
        const first = ctx.slackApi.calls.find(
          (c) => channelOf(c) === channel && c.at >= sentAt && c.method.startsWith('chat.'),
        )!;
        if (round >= 0)
          samples.push({
            total: reply.at - sentAt,
            firstCall: first.at - sentAt,
            newThread: isPost(first) && first.args.thread_ts === undefined,
          });
        // Keeps the channels out of step with one another.
        await sleep(Math.random() * 300);
      }
    }),
  );
  const of = (list: typeof samples) => ({
    n: list.length,
    p50: percentile(
      list.map((s) => s.total),
      50,
    ),
    p99: percentile(
      list.map((s) => s.total),
      99,
    ),
  });
  return {
    ...of(samples),
    prs: REVIEW_CHANNELS * LATENCY_PRS_PER_CHANNEL,
    firstCallP50: percentile(
      samples.map((s) => s.firstCall),
      50,
    ),
    newThread: of(samples.filter((s) => s.newThread)),
    existingThread: of(samples.filter((s) => !s.newThread)),
  };
}

interface StreamEvent {
  event: string;
  body: string;
  kind: 'review_requested' | 'review' | 'comment';
  pr: string;
  /** Whether a reply line in the PR's thread says what this event said. */
  seen: (line: string) => boolean;
  sentAt?: number;
}

/** A PR's ten events: 4 review requests, 4 reviews, 2 `ready for review @x` comments, in an order a team might produce. */
function eventsOf(pr: Pr, firstId: number): StreamEvent[] {
  const r = Array.from({ length: 6 }, (_, i) => reviewer(pr.number + pr.service + i));
  const requested: string[] = [];
  const mention = (login: string) => `<@${slackUserOf(login)}>`;
  const request = (who: string): StreamEvent => {
    requested.push(who);
    return {
      event: 'pull_request',
      kind: 'review_requested',
      pr: prId(pr),
      body: JSON.stringify(reviewRequestedPayload(pr, [...requested], who)),
      seen: (line) => line.startsWith(':eyes:') && line.includes(mention(who)),
    };
  };
  const review = (who: string, state: 'approved' | 'changes_requested' | 'commented', id: number): StreamEvent => ({
    event: 'pull_request_review',
    kind: 'review',
    pr: prId(pr),
    body: JSON.stringify(reviewSubmittedPayload(pr, who, state, id)),
    seen: (line) =>
      line.includes(`*${who}*`) &&
      line.includes(
        `|${{ approved: 'approved', changes_requested: 'asked for changes', commented: 'commented' }[state]}>`,
      ),
  });
  const comment = (asked: string, id: number): StreamEvent => ({
    event: 'issue_comment',
    kind: 'comment',
    pr: prId(pr),
    body: JSON.stringify(readyCommentPayload(pr, asked, id)),
    seen: (line) => line.startsWith(':wave:') && line.includes(mention(asked)),
  });
  return [
    request(r[0]),
    request(r[1]),
    comment(r[2], firstId),
    request(r[3]),
    review(r[0], 'commented', firstId + 1),
    request(r[4]),
    review(r[1], 'changes_requested', firstId + 2),
    comment(r[5], firstId + 3),
    review(r[3], 'approved', firstId + 4),
    review(r[4], 'approved', firstId + 5),
  ];
}

/** 2,000 signed events as fast as the app takes them, then until every one shows in its PR's thread. */
async function eventStream(ctx: ReviewBenchContext) {
  const prs = Array.from(
    { length: STREAM_PRS_PER_CHANNEL * REVIEW_CHANNELS },
    (_, p): Pr => ({ service: p % REVIEW_CHANNELS, number: 101 + Math.floor(p / REVIEW_CHANNELS) }),
  );
  const events: StreamEvent[] = [];
  for (let wave = 0; wave < prs.length; wave += STREAM_WAVE_PRS) {
    const perPr = prs
      .slice(wave, wave + STREAM_WAVE_PRS)
      .map((pr) => eventsOf(pr, 9_000_000 + pr.service * 100_000 + pr.number * 100));
    for (let j = 0; j < perPr[0].length; j++) for (const list of perPr) events.push(list[j]);
  }
  const callsBefore = ctx.slackApi.calls.length;
  const startedAt = Date.now();
  let next = 0;
  let lastAcceptedAt = startedAt;
  let refused = 0;
  await Promise.all(
    Array.from({ length: STREAM_CONNECTIONS }, async () => {
      while (next < events.length) {
        const sending = events[next++];
        sending.sentAt = Date.now();
        if ((await deliver(ctx.appUrl, ctx.webhookSecret, sending.event, sending.body)) === 202)
          lastAcceptedAt = Date.now();
        else refused++;
      }
    }),
  );
  const acceptSeconds = (lastAcceptedAt - startedAt) / 1000;

  let unseen = events;
  const deadline = Date.now() + STREAM_DRAIN_TIMEOUT_MS;
  while (unseen.length > 0 && Date.now() < deadline) {
    await sleep(250);
    const lines = repliesByPr(ctx.slackApi.calls.slice(callsBefore));
    unseen = unseen.filter((e) => !(lines.get(e.pr) ?? []).some((reply) => e.seen(reply.line)));
  }
  // How long each review request waited for its ping with the channel queues busy (those that got one).
  const lines = repliesByPr(ctx.slackApi.calls.slice(callsBefore));
  const pingWaits = events
    .filter((e) => e.kind === 'review_requested')
    .flatMap((e) =>
      (lines.get(e.pr) ?? [])
        .filter((reply) => e.seen(reply.line))
        .slice(0, 1)
        .map((reply) => reply.at - e.sentAt!),
    );
  // Anything still queued (a last root update) lands within a couple of seconds.
  await sleep(2000);
  const calls = ctx.slackApi.calls.slice(callsBefore).filter((c) => c.method.startsWith('chat.'));
  const posts = calls.filter(isPost);
  const perChannel = new Map<string, number>();
  for (const call of calls) perChannel.set(channelOf(call), (perChannel.get(channelOf(call)) ?? 0) + 1);
  return {
    events: events.length,
    prs: prs.length,
    mix: {
      review_requested: events.filter((e) => e.kind === 'review_requested').length,
      review: events.filter((e) => e.kind === 'review').length,
      comment: events.filter((e) => e.kind === 'comment').length,
    },
    acceptSeconds,
    perSecond: events.length / acceptSeconds,
    refused,
    unseen: unseen.length,
    lastPostSeconds: (Math.max(...posts.map((c) => c.at)) - startedAt) / 1000,
    posts: posts.length,
    updates: calls.length - posts.length,
    busiestChannelCalls: Math.max(...perChannel.values()),
    pingP50: percentile(pingWaits, 50),
    pingP99: percentile(pingWaits, 99),
  };
}

export async function benchReviews(ctx: ReviewBenchContext) {
  seed(ctx);
  const callsBefore = ctx.slackApi.calls.length;
  const latency = await pingLatency(ctx);
  const stream = await eventStream(ctx);
  const reviewCalls = ctx.slackApi.calls
    .slice(callsBefore)
    .filter((c) => c.args.channel !== undefined && String(c.args.channel).startsWith('C0REVIEW'));
  return {
    latency,
    stream,
    posts: channelRate(reviewCalls.filter(isPost)),
    queued: channelRate(reviewCalls.filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update')),
    wholeRun: channelRate(ctx.slackApi.calls.filter(isPost)),
  };
}

/** The printed block. */
export function reviewReport(result: Awaited<ReturnType<typeof benchReviews>>): string[] {
  const { latency, stream, posts, queued, wholeRun } = result;
  // A sliding window starting at a call holds two only when two calls came less than 1 s apart.
  const verdict = (rate: ChannelRate) =>
    rate.maxPerSecond <= 1
      ? 'within one per second'
      : `${rate.gapsUnder1s} gap(s) under 1 s, shortest ${rate.minGapMs} ms: ${rate.maxPerSecond <= 2 ? 'at most 2 in a window (allowed when a window straddles two)' : 'NOT within one per second'}`;
  const rateLine = (what: string, rate: ChannelRate) =>
    `  ${what} (${rate.posts} calls in ${rate.channels} channels): max ${rate.maxPerSecond} in any 1 s, ${rate.maxPer10s} in any 10 s, min gap ${rate.minGapMs} ms -> ${verdict(rate)}`;
  return [
    `\nReview ping latency (signed pull_request.review_requested -> the Slack reply pinging that reviewer; app in its own process, real PostgreSQL;`,
    `  ${latency.n} measured over ${latency.prs} PRs in ${REVIEW_CHANNELS} review channels at once, one request in flight per channel, so each finds its channel's queue idle)`,
    `  p50 ${latency.p50} ms   p99 ${latency.p99} ms   (new thread: p50 ${latency.newThread.p50} / p99 ${latency.newThread.p99} ms, n=${latency.newThread.n}; existing thread: p50 ${latency.existingThread.p50} / p99 ${latency.existingThread.p99} ms, n=${latency.existingThread.n})`,
    `  by design this includes the ${(FOLD_MS / 1000).toFixed(1)} s fold window (webhook -> root post or root update: p50 ${latency.firstCallP50} ms); a new thread also waits the channel's 1 s spacing between root and reply`,
    `\nReview event stream (${stream.events} signed events: ${stream.mix.review_requested} review_requested, ${stream.mix.review} pull_request_review submitted, ${stream.mix.comment} "ready for review @x" comments;`,
    `  ${stream.prs} PRs in ${REVIEW_CHANNELS} channels, ${STREAM_WAVE_PRS} PRs interleaved at a time, ${STREAM_CONNECTIONS} connections, as fast as the app accepts)`,
    `  accepted: ${stream.events - stream.refused} in ${stream.acceptSeconds.toFixed(2)} s = ${Math.round(stream.perSecond)} events/s   non-202 ${stream.refused}`,
    `  ${stream.unseen === 0 ? `every event shows in its PR's thread` : `${stream.unseen} events NOT in their PR's thread after ${STREAM_DRAIN_TIMEOUT_MS / 1000} s`}; last post landed ${stream.lastPostSeconds.toFixed(1)} s after the first event`,
    `  (${stream.posts} posts + ${stream.updates} root updates; the busiest channel took ${stream.busiestChannelCalls} calls, so at 1/s its floor is ~${stream.busiestChannelCalls} s)`,
    `  review_requested -> ping while the channel queues drain: p50 ${(stream.pingP50 / 1000).toFixed(1)} s   p99 ${(stream.pingP99 / 1000).toFixed(1)} s`,
    `\nPer-channel posting rate (the Slack fake's recorded calls, sliding 1 s window over \`at\` per channel)`,
    rateLine('chat.postMessage, review channels', posts),
    rateLine('chat.postMessage + chat.update (one queue), review channels', queued),
    rateLine('chat.postMessage, whole bench, every channel', wholeRun),
  ];
}
