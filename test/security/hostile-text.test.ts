import { afterEach, describe, expect, it } from 'vitest';
import * as deploys from '../../src/slack/render/deploys.ts';
import * as format from '../../src/slack/render/format.ts';
import * as incidents from '../../src/slack/render/incidents.ts';
import * as locks from '../../src/slack/render/locks.ts';
import * as nudges from '../../src/slack/render/nudges.ts';
import * as outbox from '../../src/slack/render/outbox.ts';
import * as reviews from '../../src/slack/render/reviews.ts';
import { fitToSlack, SLACK_LIMITS } from '../../src/slack/render/untrusted.ts';
import { commitLinks } from '../../src/slack/deploy-notifier.ts';
import { logLink } from '../../src/deploys/index.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { command, seedRepo } from '../helpers/deploys.ts';
import { deliver, pullRequestPayload, REVIEW_CHANNEL, startReviewHarness } from '../helpers/reviews.ts';
import { storeBackends } from '../helpers/stores.ts';

/**
 * Every renderer, called with hostile text in every field that comes from outside tugboat
 * (Slack users, GitHub, monitored services, receivers, config): nothing it produces may mention
 * the whole channel or someone tugboat did not mean, link anywhere tugboat did not build, or
 * break Slack's limits, and a message with buttons keeps them.
 */

const HOSTILE = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<!subteam^S123>',
  '<!subteam^S123|@oncall>',
  '<@U0EVIL>',
  '<#C0EVIL>',
  '<https://evil.example|click me>',
  '@channel @here @everyone',
  // A login tugboat shows as `@login`.
  'channel',
  '`a` ``` fence ``` `',
  'javascript:alert(1)',
  'https://ok.example/<!channel>',
  'a\u0000b\u0007c\u202ed\u200be',
  `<!channel> ${'x'.repeat(100_000)}`,
];

/** tugboat's own actors and channels: the only ones a message may name. */
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const OWN_USERS = new Set([ALICE, BOB]);
const OWN_CHANNEL = 'C0OWN';
/** The addresses tugboat builds links to (commits on GitHub, the logs template), and the one outside URL among the hostile values that is a valid http(s) URL. */
const GITHUB_API = 'https://api.github.com';
const LINKED_URL_PREFIXES = [
  'https://github.com/acme/api/commit/',
  'https://github.com/acme/api/pull/',
  'https://logs.example.com/',
  'https://ok.example/',
];
const LOGS_TEMPLATE = 'https://logs.example.com/search?q=service:{service}%20env:{env}&from={from}&to={to}';

const NOW = new Date('2026-11-20T15:00:00Z');
const LATER = new Date('2026-11-20T16:00:00Z');
const links = commitLinks(GITHUB_API);
const REPO = 'acme/api';

// Fixtures: every field from outside holds `h`; tugboat's own fields (ids, Slack IDs, dates) are real.
const lockOf = (h: string) => ({
  id: 1,
  scope: { kind: 'service' as const, environment: h, service: h },
  holder: ALICE,
  reason: h,
  channel: OWN_CHANNEL,
  acquiredAt: NOW,
  expiresAt: LATER,
  durationSeconds: 600,
});
const deployOf = (h: string, over: Record<string, unknown> = {}) =>
  ({
    id: 7,
    service: h,
    environment: h,
    ref: h,
    sha: h,
    requestedBy: `@${h}`,
    channel: OWN_CHANNEL,
    messageTs: '1.2',
    status: 'failed',
    executor: 'command',
    externalId: h,
    rollbackOf: 3,
    forced: true,
    detail: h,
    logUrl: h,
    createdAt: NOW,
    startedAt: NOW,
    finishedAt: LATER,
    smokeStatus: 'failed',
    ...over,
  }) as never;
const checkStateOf = (h: string, ok: boolean) => ({
  checkId: h,
  service: h,
  environment: h,
  name: h,
  ok,
  inconclusive: false,
  latencyMs: 12,
  error: h,
  at: NOW,
  alerting: !ok,
});
const postDeployResultsOf = (h: string) =>
  [true, false].map((ok) => ({ ...checkStateOf(h, ok), status: 500, checkId: h, runId: h, startedAt: NOW })) as never;
const blockersOf = (h: string) => [
  { kind: 'not-allowed' },
  { kind: 'locked', lock: lockOf(h) },
  { kind: 'in-flight', deploy: deployOf(h) },
  { kind: 'invalid-ref', ref: h, problem: 'it has a space' },
  { kind: 'unknown-ref', ref: h },
  {
    kind: 'ci',
    verdict: {
      blocking: [
        { name: h, url: h, state: 'failure' },
        { name: h, url: 'https://ci.example.com/1', state: 'pending' },
      ],
    },
  },
  { kind: 'bad-sha', bad: { sha: h, deployId: 3, markedAt: NOW } },
];
const requestOf = (h: string) => ({
  service: h,
  environment: h,
  ref: h,
  requestedBy: ALICE,
  force: false,
  confirmBadSha: false,
});
const preflightOf = (h: string, queueable: boolean) =>
  ({
    request: requestOf(h),
    commit: { sha: h },
    checks: blockersOf(h)
      .map((blocker, i) => ({
        name: ['permission', 'lock', 'in-flight', 'ref', 'ref', 'ci', 'bad-sha'][i],
        passed: false,
        blocker,
      }))
      .concat([{ name: 'ci', passed: true, reason: 'forced' } as never]),
    ok: false,
    queueable,
  }) as never;
const queuedOf = (h: string) =>
  ({ id: 1, service: h, environment: h, ref: h, requestedBy: ALICE, channel: OWN_CHANNEL, createdAt: NOW }) as never;
const incidentOf = (h: string) =>
  ({
    id: 5,
    service: h,
    environment: h,
    status: 'open',
    channelId: OWN_CHANNEL,
    channelName: h,
    firstFailureAt: NOW,
    openedAt: NOW,
    recoveredAt: LATER,
    acknowledgedBy: ALICE,
    acknowledgedAt: NOW,
    resolvedBy: BOB,
    resolvedAt: LATER,
  }) as never;
const incidentCheckOf = (h: string) =>
  ({ incidentId: 5, checkId: h, name: h, since: NOW, lastError: h, failing: true, announced: true }) as never;
const eventsOf = (h: string) =>
  (
    [
      'first_failure',
      'alert',
      'check_failing',
      'acknowledged',
      'rollback_started',
      'rollback_finished',
      'recovered',
      'resolved',
    ] as const
  ).map((kind, i) => ({
    kind,
    at: new Date(NOW.getTime() + i * 60_000),
    actor: i % 2 ? ALICE : null,
    detail: h,
  })) as never;
const openedOf = (h: string, recent: number) =>
  ({
    incident: incidentOf(h),
    check: { checkId: h, name: h, since: NOW, at: NOW, lastError: h },
    logUrl: logLink(LOGS_TEMPLATE, { service: h, environment: h, from: NOW, to: LATER }),
    recentDeploys: Array.from({ length: recent }, (_, i) => deployOf(h, { id: i + 1, requestedBy: ALICE })),
    invitees: [],
  }) as never;
const streamOf = (h: string) =>
  ({
    incidentId: 5,
    checkId: h,
    name: h,
    minute: NOW,
    failures: 3,
    lastAt: NOW,
    lastError: h,
    messageTs: null,
    rendered: 0,
  }) as never;
const transitionOf = (h: string) =>
  ({
    kind: 'recovered',
    checkId: h,
    service: h,
    environment: h,
    check: h,
    since: NOW,
    at: LATER,
    lastError: h,
  }) as never;
const prOf = (h: string) =>
  ({
    repo: REPO,
    number: 12,
    service: h,
    channel: OWN_CHANNEL,
    threadTs: null,
    title: h,
    url: h,
    author: h,
    state: 'open',
    additions: 1,
    deletions: 2,
    draft: false,
    headSha: h,
  }) as never;
/** A login's Slack users as resolveMentions gives them: one when mapped, none when not. */
const mentionOf = (login: string) => (login === 'mapped' ? [BOB] : []);
const notesOf = (h: string) =>
  [
    { kind: 'requested', by: h, reviewers: [h, 'mapped'] },
    { kind: 'request_removed', by: h, reviewer: h },
    { kind: 'ready', by: h, reviewers: [h] },
    { kind: 'draft', by: h },
    { kind: 'closed', by: h, merged: true },
    { kind: 'reopened', by: h },
    { kind: 'new_commits', by: h, reviewers: [h] },
    { kind: 'review', reviewer: h, verdict: 'approved', url: h, author: h },
    { kind: 'review', reviewer: h, verdict: 'changes_requested', url: h },
    { kind: 'review', reviewer: h, verdict: 'commented', url: h },
    { kind: 'ready_comment', by: h, reviewers: [h], url: h },
    { kind: 'resolved', by: h, reviewers: [h], url: h },
  ] as never;
const waitOf = (h: string, role: 'reviewer' | 'author') =>
  ({
    role,
    login: h,
    repo: h,
    number: 3,
    title: h,
    url: h,
    channel: OWN_CHANNEL,
    threadTs: '1.2',
    since: NOW,
    lastNudgedAt: null,
  }) as never;
const targetOf = (h: string) => ({ role: 'reviewer', repo: h, number: 3, login: h }) as never;

type Rendered = { text: string; blocks?: unknown[] } | string | undefined;

/** One call per renderer (several where its branches show different fields), every outside field filled with `h`. */
const RENDERERS: Record<string, Record<string, (h: string) => Rendered[]>> = {
  locks: {
    lockTaken: (h) => [locks.lockTaken(lockOf(h), NOW), locks.lockTaken({ ...lockOf(h), scope: { kind: 'all' } }, NOW)],
    lockHeldRefusal: (h) => [locks.lockHeldRefusal(lockOf(h), NOW)],
    lockAlreadyYours: (h) => [locks.lockAlreadyYours(lockOf(h), NOW)],
    lockReleased: (h) =>
      (['released', 'forced', 'expired'] as const).map((releaseKind) =>
        locks.lockReleased({ ...lockOf(h), releasedBy: BOB, releaseKind }),
      ),
    noLockToRelease: (h) => [locks.noLockToRelease(h)],
    notYourLock: (h) => [locks.notYourLock(lockOf(h), true), locks.notYourLock(lockOf(h), false)],
    lockList: (h) => [
      locks.lockList(
        Array.from({ length: 30 }, () => lockOf(h)),
        NOW,
      ),
    ],
    lockReminder: (h) => [locks.lockReminder(lockOf(h), NOW)],
    lockExtended: (h) => [locks.lockExtended(lockOf(h), NOW)],
    lockGone: () => [locks.lockGone()],
    lockAlreadyExtended: () => [locks.lockAlreadyExtended()],
  },
  deploys: {
    rollbackButton: () => [{ text: 'button', blocks: [{ type: 'actions', elements: [deploys.rollbackButton(7)] }] }],
    deployAnnouncement: (h) => [
      ...(['pending', 'running', 'succeeded', 'failed', 'unknown'] as const).map((status) =>
        deploys.deployAnnouncement(deployOf(h, { status }), {
          repo: REPO,
          links,
          logUrl: logLink(LOGS_TEMPLATE, { service: h, environment: h, from: NOW, to: LATER }),
          now: NOW,
        }),
      ),
      // A service removed from tugboat.yml while it deployed: no repository to link the commit to.
      deploys.deployAnnouncement(deployOf(h, { status: 'succeeded' }), { links, now: NOW }),
    ],
    // Its text is mrkdwn its makers escape (executors, webhook handlers); tested through them over HTTP below.
    deployProgress: () => [deploys.deployProgress('Running `./deploy.sh`…')],
    deployOutput: (h) => [deploys.deployOutput(`${h}\n${h}`)],
    deploySuperseded: (h) => [deploys.deploySuperseded(deployOf(h, { requestedBy: ALICE }))],
    deployStopped: (h) =>
      (['cancelled', 'timed_out', 'shutdown'] as const).map((reason) =>
        deploys.deployStopped(deployOf(h, { executor: 'webhook' }), {
          reason,
          by: ALICE,
          told: h,
          pending: h,
          afterMs: 5_000,
        }),
      ),
    deployScriptStopped: () => [deploys.deployScriptStopped()],
    deployWaitedForScript: () => [
      deploys.deployWaitedForScript(3, 'released'),
      deploys.deployWaitedForScript(3, 'lapsed'),
    ],
    nothingToCancel: (h) => [deploys.nothingToCancel(h, h)],
    cancelNotAllowed: (h) => [deploys.cancelNotAllowed(deployOf(h, { requestedBy: ALICE }))],
    cancelOutcome: (h) => [deploys.cancelOutcome(deployOf(h), true), deploys.cancelOutcome(deployOf(h), false)],
    smokeResult: (h) =>
      [
        { kind: 'offer-rollback' },
        { kind: 'rolled-back', rollback: deployOf(h), locked: true },
        { kind: 'rolled-back', rollback: deployOf(h), locked: false },
        { kind: 'rollback-refused' },
        { kind: 'none' },
      ].map((response) =>
        deploys.smokeResult(deployOf(h), {
          passed: false,
          results: postDeployResultsOf(h),
          response: response as never,
        }),
      ),
    invalidRef: (h) => [deploys.invalidRef(h, 'it has a space')],
    blockerSentence: (h) =>
      blockersOf(h).map((blocker) => deploys.blockerSentence(blocker as never, requestOf(h), NOW)),
    deployRefusal: (h) => [
      deploys.deployRefusal(preflightOf(h, true), NOW),
      deploys.deployRefusal(preflightOf(h, false), NOW),
    ],
    deployPlan: (h) => [deploys.deployPlan(preflightOf(h, false), links, REPO, NOW)],
    queuedConfirmation: (h) => [
      deploys.queuedConfirmation(queuedOf(h), 2, false),
      deploys.queuedConfirmation(queuedOf(h), 2, true),
    ],
    queuedStarted: (h) => [deploys.queuedStarted(queuedOf(h), deployOf(h))],
    autoDeployRefusal: (h) => [deploys.autoDeployRefusal({ branch: h, pusher: h }, preflightOf(h, false), NOW)],
    deployStarted: (h) => [
      deploys.deployStarted(deployOf(h)),
      deploys.deployStarted(deployOf(h, { rollbackOf: null })),
    ],
    postDeployCheckLines: (h) => deploys.postDeployCheckLines({ passed: false, results: postDeployResultsOf(h) }),
    queuedDropped: (h) => [deploys.queuedDropped(queuedOf(h), preflightOf(h, false), NOW)],
    queuedRemoved: (h) => [
      deploys.queuedRemoved(queuedOf(h), 'service'),
      deploys.queuedRemoved(queuedOf(h), 'environment'),
    ],
    rollbackAnswer: (h) => {
      const where = { service: h, environment: h };
      const policy = { max_releases: 5, max_age: 86_400_000 };
      return [
        { preflight: preflightOf(h, false) },
        { rollbackInFlight: deployOf(h) },
        { notLatest: { clicked: 3, latest: deployOf(h) } },
        { target: { ok: false, reason: 'nothing-deployed' } },
        { target: { ok: false, reason: 'no-earlier-release', undo: deployOf(h) } },
        { target: { ok: false, reason: 'not-a-release', named: h } },
        { target: { ok: false, reason: 'outside-policy', why: 'too-old', target: deployOf(h) } },
        { target: { ok: false, reason: 'outside-policy', why: 'too-far', target: deployOf(h) } },
      ].map((attempt) => deploys.rollbackAnswer({ ok: false, ...attempt } as never, where, policy, NOW));
    },
    deployHistory: (h) => [
      deploys.deployHistory(
        h,
        h,
        Array.from({ length: 10 }, () => deployOf(h)),
        NOW,
      ),
    ],
    deployStatus: (h) => [
      deploys.deployStatus(
        [
          {
            service: h,
            environments: [
              {
                environment: h,
                current: deployOf(h),
                inFlight: deployOf(h),
                lock: lockOf(h),
                queued: [queuedOf(h)],
                checks: [
                  { name: h, latest: checkStateOf(h, false) },
                  { name: h, latest: checkStateOf(h, true) },
                  { name: h },
                ],
              },
            ],
          },
        ],
        NOW,
        [{ service: h, environment: h, inFlight: deployOf(h), queued: [queuedOf(h)] }],
      ),
    ],
    forceNotAllowed: () => [deploys.forceNotAllowed()],
    githubLimitUsedUp: () => [deploys.githubLimitUsedUp(LATER, NOW)],
  },
  incidents: {
    incidentChannelName: (h) => [incidents.incidentChannelName(h, incidentOf(h), 1)],
    incidentTopic: (h) => [incidents.incidentTopic(incidentOf(h), [incidentCheckOf(h)], format.mention)],
    incidentOpened: (h) => [
      incidents.incidentOpened(openedOf(h, 0), { links, repo: REPO }),
      incidents.incidentOpened(openedOf(h, 80), { links, repo: REPO }),
    ],
    incidentPointer: (h) => [incidents.incidentPointer(incidentOf(h), OWN_CHANNEL, { name: h } as never)],
    checksJoined: (h) => [
      incidents.checksJoined([incidentCheckOf(h)]),
      incidents.checksJoined(Array.from({ length: 40 }, () => incidentCheckOf(h))),
    ],
    streamedFailures: (h) => [
      incidents.streamedFailures(
        streamOf(h),
        logLink(LOGS_TEMPLATE, { service: h, environment: h, from: NOW, to: LATER }),
      ),
      incidents.streamedFailures(streamOf(h), h),
    ],
    checkRecovered: (h) => [incidents.checkRecovered(transitionOf(h))],
    incidentRecovered: (h) => [incidents.incidentRecovered(incidentOf(h))],
    incidentRecoveredPointer: (h) => [incidents.incidentRecoveredPointer(incidentOf(h))],
    monitoringChanged: (h) => [
      incidents.monitoringChanged({ kind: 'impaired', since: NOW, at: NOW, reason: h }),
      incidents.monitoringChanged({ kind: 'restored', since: NOW, at: LATER, reason: h }),
    ],
    acknowledged: (h) => [incidents.acknowledged(incidentOf(h))],
    alreadyAcknowledged: (h) => [
      incidents.alreadyAcknowledged(incidentOf(h)),
      incidents.alreadyAcknowledged(undefined),
    ],
    rollbackStarted: (h) => [incidents.rollbackStarted(incidentOf(h), deployOf(h, { requestedBy: ALICE }))],
    rollbackChecked: (h) => [
      incidents.rollbackChecked(deployOf(h), undefined),
      incidents.rollbackChecked(deployOf(h), { passed: true, results: postDeployResultsOf(h) }),
      incidents.rollbackChecked(deployOf(h), { passed: false, results: postDeployResultsOf(h) }),
    ],
    stillFailing: (h) => [incidents.stillFailing(incidentOf(h), LATER)],
    resolveRefused: (h) => [
      incidents.resolveRefused(
        5,
        Array.from({ length: 100 }, () => incidentCheckOf(h)),
      ),
    ],
    incidentTimeline: (h) => [incidents.incidentTimeline(incidentOf(h), eventsOf(h))],
    incidentResolved: (h) => [
      incidents.incidentResolved({
        incident: incidentOf(h),
        checks: [incidentCheckOf(h)],
        events: eventsOf(h),
      } as never),
    ],
    postMortem: (h) => [
      incidents.postMortem({ incident: incidentOf(h), checks: [incidentCheckOf(h)], events: eventsOf(h) } as never),
    ],
    incidentResolvedPointer: (h) => [incidents.incidentResolvedPointer(incidentOf(h))],
    archiveOffer: (h) => [incidents.archiveOffer(incidentOf(h))],
    resolveNotAllowed: (h) => [incidents.resolveNotAllowed(incidentOf(h), [ALICE, BOB])],
    archiveNotAllowed: (h) => [incidents.archiveNotAllowed(incidentOf(h), [ALICE])],
  },
  reviews: {
    reviewRoot: (h) => [
      reviews.reviewRoot(
        prOf(h),
        [
          { reviewer: h, state: 'requested' },
          { reviewer: 'mapped', state: 'approved' },
        ] as never,
        mentionOf,
      ),
    ],
    reviewReply: (h) => [reviews.reviewReply(notesOf(h), [h], mentionOf)],
    linkConfirmation: (h) => [reviews.linkConfirmation(h, ALICE)],
    linkUsage: (h) => [reviews.linkUsage(), reviews.linkUsage(h)],
    linkSetInConfig: (h) => [reviews.linkSetInConfig(h, BOB, ALICE), reviews.linkSetInConfig(h, ALICE, ALICE)],
    linkAlreadyYours: (h) => [reviews.linkAlreadyYours(h)],
    linkProvenByEmail: (h) => [reviews.linkProvenByEmail(h, ALICE)],
    linkCodeInstructions: (h) => [
      reviews.linkCodeInstructions({ login: h, code: 'ABCD1234', ttlMinutes: 30, repos: [REPO, h], admins: [ALICE] }),
      reviews.linkCodeInstructions({
        login: h,
        code: 'ABCD1234',
        ttlMinutes: 30,
        linkedTo: BOB,
        repos: Array.from({ length: 8 }, () => h),
        admins: [],
      }),
    ],
    linkedByCode: (h) => [reviews.linkedByCode(h, ALICE)],
    linkMovedAway: (h) => (['email', 'code', 'admin'] as const).map((proof) => reviews.linkMovedAway(h, BOB, proof)),
    linkCodeExpired: (h) => [reviews.linkCodeExpired(h)],
    linkCodeFromWrongLogin: (h) => [reviews.linkCodeFromWrongLogin(h, h)],
    linkConfirmedByAdmin: (h) => [
      reviews.linkConfirmedByAdmin(h, ALICE, BOB),
      reviews.linkConfirmedByAdmin(h, ALICE, undefined),
    ],
    linkedByAdmin: (h) => [reviews.linkedByAdmin(h, BOB)],
    linkAdminsOnly: () => [reviews.linkAdminsOnly([ALICE]), reviews.linkAdminsOnly([])],
  },
  nudges: {
    nudgeMessage: (h) => [
      nudges.nudgeMessage(waitOf(h, 'reviewer'), undefined, LATER),
      nudges.nudgeMessage(waitOf(h, 'author'), ALICE, LATER),
    ],
    // The nudge's own text comes back from Slack in the click: the text tugboat posted.
    snoozedNudge: (h) => [
      nudges.snoozedNudge(nudges.nudgeMessage(waitOf(h, 'reviewer'), undefined, LATER).text, LATER, ALICE),
    ],
    snoozeConfirmation: () => [nudges.snoozeConfirmation(LATER)],
    notYourNudge: (h) => [nudges.notYourNudge(targetOf(h))],
    nothingToSnooze: (h) => [nudges.nothingToSnooze(targetOf(h))],
    waitsOnYou: (h) => [
      nudges.waitsOnYou([waitOf(h, 'reviewer'), waitOf(h, 'author')], LATER),
      nudges.waitsOnYou([], LATER),
    ],
    noGitHubLogin: () => [nudges.noGitHubLogin()],
  },
  outbox: {
    // What tugboat meant to say may itself carry outside text; Slack's error code is Slack's.
    undeliverable: (h) => [
      outbox.undeliverable(OWN_CHANNEL, 'is_archived', h),
      outbox.undeliverable(OWN_CHANNEL, h, h),
      outbox.undeliverable(h, 'not_in_channel', h),
    ],
  },
  format: {
    mention: (h) => [format.mention(h), format.mention(ALICE)],
    channelLink: (h) => [format.channelLink(h), format.channelLink(OWN_CHANNEL)],
    code: (h) => [format.code(h)],
    strong: (h) => [format.strong(h)],
    refLabel: (h) => [format.refLabel(h), format.refLabel('a'.repeat(40))],
    slackTime: () => [format.slackTime(NOW)],
    relative: () => [format.relative(NOW, LATER)],
    plain: (h) => [format.plain(format.code(h))],
    databaseUnreachable: () => [format.databaseUnreachable()],
  },
};

/** Exports that are not renderers: action ids and the like are not functions; these are. */
/** Exports that build parts, not text: `button` (labels come from tugboat's code) and `shortSha` (callers wrap it in code or a link). */
const NOT_RENDERERS: Record<string, string[]> = { nudges: ['snoozeChoiceOf'], format: ['button', 'shortSha'] };
const MODULES: Record<string, object> = { locks, deploys, incidents, reviews, nudges, outbox, format };

interface TextPart {
  text: string;
  mrkdwn: boolean;
  limit?: number;
}

/**
 * Every text in a message: the fallback, each block's (with its limit), each button's label; and
 * how many buttons its actions blocks carry (a row's own button goes when `fitToSlack` leaves the row out).
 */
function partsOf(message: Exclude<Rendered, string | undefined>): { parts: TextPart[]; buttons: number } {
  const parts: TextPart[] = [{ text: message.text, mrkdwn: true }];
  let buttons = 0;
  const label = (element: { type: string; text?: { text: string } }) => {
    if (element.type === 'button')
      parts.push({ text: element.text!.text, mrkdwn: false, limit: SLACK_LIMITS.buttonText });
  };
  const button = (element: { type: string; text?: { text: string } }) => {
    label(element);
    if (element.type === 'button') buttons++;
  };
  for (const block of (message.blocks ?? []) as Array<Record<string, any>>) {
    if (block.type === 'section') {
      if (block.text)
        parts.push({ text: block.text.text, mrkdwn: block.text.type === 'mrkdwn', limit: SLACK_LIMITS.sectionText });
      for (const field of block.fields ?? [])
        parts.push({ text: field.text, mrkdwn: field.type === 'mrkdwn', limit: SLACK_LIMITS.sectionFieldText });
      if (block.accessory) label(block.accessory);
    } else if (block.type === 'header')
      parts.push({ text: block.text.text, mrkdwn: false, limit: SLACK_LIMITS.headerText });
    else if (block.type === 'context')
      for (const element of block.elements)
        parts.push({ text: element.text, mrkdwn: element.type === 'mrkdwn', limit: SLACK_LIMITS.contextElementText });
    else if (block.type === 'actions') block.elements.forEach(button);
  }
  return { parts, buttons };
}

/** What is wrong with one mrkdwn text; empty when nothing is. */
function problemsOf(text: string): string[] {
  const problems: string[] = [];
  if (/<!(channel|here|everyone|subteam)/i.test(text)) problems.push('mass mention');
  if (/@(channel|here|everyone)\b/i.test(text.replace(/<[^<>|]*\|/g, '<')))
    problems.push(`bare @channel/@here/@everyone: ${text.slice(0, 300)}`);
  if (/[\u0000-\u0008\u000b-\u001f\u202a-\u202e]/.test(text)) problems.push('control character');
  for (const [, inner] of text.matchAll(/<([^<>]*)>/g)) {
    const target = inner.split('|')[0];
    if (target.startsWith('@')) {
      if (!OWN_USERS.has(target.slice(1))) problems.push(`foreign mention ${target}`);
    } else if (target.startsWith('#')) {
      if (target.slice(1) !== OWN_CHANNEL) problems.push(`foreign channel ${target}`);
    } else if (target.startsWith('!')) {
      if (!target.startsWith('!date^')) problems.push(`special ${target}`);
    } else if (!LINKED_URL_PREFIXES.some((prefix) => target.startsWith(prefix))) {
      problems.push(`link tugboat did not build: ${target.slice(0, 80)}`);
    }
  }
  return problems;
}

/** Everything wrong with a rendered message as Slack would get it (after `fitToSlack`, as the poster sends it). */
function verdict(rendered: Rendered): string[] {
  if (rendered === undefined) return [];
  if (typeof rendered === 'string')
    return problemsOf(rendered).concat(rendered.length > SLACK_LIMITS.sectionText ? ['string over 3,000'] : []);
  const posted = fitToSlack(rendered);
  const before = partsOf(rendered);
  const after = partsOf(posted);
  const problems = after.parts.flatMap((part) => [
    ...(part.mrkdwn ? problemsOf(part.text) : []),
    ...(part.limit !== undefined && part.text.length > part.limit ? [`over ${part.limit}`] : []),
  ]);
  // The renderer's own text, before any cut: the cut must not be what makes it safe.
  problems.push(...before.parts.filter((part) => part.mrkdwn).flatMap((part) => problemsOf(part.text)));
  if ((posted.blocks?.length ?? 0) > SLACK_LIMITS.blocks) problems.push('over 50 blocks');
  if (after.buttons !== before.buttons) problems.push(`buttons lost: ${before.buttons} → ${after.buttons}`);
  return problems;
}

describe('every renderer, with hostile text in every outside field', () => {
  it('the table names every renderer each render module exports', () => {
    for (const [name, module] of Object.entries(MODULES)) {
      const exported = Object.entries(module)
        .filter(([, value]) => typeof value === 'function')
        .map(([key]) => key);
      const renderers = exported.filter((key) => !(NOT_RENDERERS[name] ?? []).includes(key));
      expect(Object.keys(RENDERERS[name]).sort(), `render/${name}.ts`).toEqual(renderers.sort());
    }
  });

  for (const [module, renderers] of Object.entries(RENDERERS)) {
    for (const [name, render] of Object.entries(renderers)) {
      it(`${module}.${name}`, () => {
        for (const hostile of HOSTILE) {
          const rendered = render(hostile);
          expect(rendered.length).toBeGreaterThan(0);
          rendered.forEach((message, i) =>
            expect(verdict(message), `${JSON.stringify(hostile.slice(0, 40))} #${i}`).toEqual([]),
          );
        }
      });
    }
  }

  it('an incident with 80 recent deploys lists the newest 10, each with its Roll back, and keeps Acknowledge / Roll back / Resolve', () => {
    const rendered = incidents.incidentOpened(openedOf('api', 80), { links, repo: REPO });
    expect(fitToSlack(rendered)).toEqual(rendered);
    expect(rendered.blocks!.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    const actions = rendered.blocks!.find((block) => block.type === 'actions') as {
      elements: Array<{ action_id: string }>;
    };
    expect(actions.elements.map((e) => e.action_id)).toEqual([
      incidents.INCIDENT_ACKNOWLEDGE_ACTION,
      incidents.INCIDENT_ROLLBACK_ACTION,
      incidents.INCIDENT_RESOLVE_ACTION,
    ]);
    const perDeploy = rendered.blocks!.filter(
      (block) => block.type === 'section' && block.accessory?.type === 'button',
    );
    expect(
      perDeploy.map((block) => JSON.parse((block as { accessory: { value: string } }).accessory.value).before),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(JSON.stringify(rendered.blocks)).toContain('…and 70 earlier deploys: `/tugboat history api ');
  });

  it('a safe outside URL still becomes a link, and a javascript: one does not', () => {
    const announcement = deploys.deployAnnouncement(deployOf('x', { logUrl: 'https://ci.example.com/run/1?a=1&b=2' }), {
      repo: REPO,
      links,
      now: NOW,
    });
    expect(JSON.stringify(announcement.blocks)).toContain('<https://ci.example.com/run/1?a=1&amp;b=2|deploy log>');
    const hostile = deploys.deployAnnouncement(deployOf('x', { logUrl: 'javascript:alert(1)' }), {
      repo: REPO,
      links,
      now: NOW,
    });
    expect(JSON.stringify(hostile.blocks)).not.toContain('javascript');
  });
});

/** Every text tugboat sent to Slack: posts, updates and answers through response_url. */
function everythingSaid(h: Harness): string[] {
  const calls = h.slackApi.calls.filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update');
  return [...calls.map((c) => JSON.stringify(c.args)), ...h.slackApi.responses.map((r) => JSON.stringify(r.body))];
}

/** Problems in what tugboat said, read as Slack reads it (JSON-escaped text decoded first). */
function problemsInSaid(h: Harness): string[] {
  return everythingSaid(h).flatMap((json) => problemsOf(JSON.parse(`[${json}]`).flatMap(textsIn).join('\n')));
}

function textsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(textsIn);
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([key, inner]) =>
      key === 'text' || typeof inner === 'object' ? textsIn(inner) : [],
    );
  return [];
}

for (const backend of storeBackends) {
  describe(`hostile text over HTTP on ${backend.name}`, () => {
    let h: Harness;
    afterEach(async () => {
      await h?.stop();
    });

    it('/lock with a reason that mentions the channel and someone else announces neither', async () => {
      h = await startHarness({ backend });
      await command(
        h,
        'U0ALICE',
        '/lock staging for 20m read this <!channel> <!here|here> <@U0EVIL> <https://evil.example|click me> @everyone',
      );
      const announcements = h.slackApi.callsTo('chat.postMessage').map((c) => String(c.args.text));
      expect(announcements.length).toBeGreaterThan(0);
      expect(announcements.join('\n')).toContain('read this &lt;!channel&gt;');
      expect(problemsInSaid(h)).toEqual([]);
    });

    it('/deploy of a ref named like a mention is refused, and the refusal shows it escaped', async () => {
      h = await startHarness({ backend });
      seedRepo(h, 'acme/api', ['v1']);
      const answers = await command(h, 'U0ALICE', '/deploy api <!channel>`<@U0EVIL>` to staging');
      expect(answers).toHaveLength(1);
      expect(answers[0]).toContain('&lt;!channel&gt;');
      expect(problemsInSaid(h)).toEqual([]);
    });

    it('a pull request with a hostile title and an author named like a Slack user posts no mention or link forgery', async () => {
      h = await startReviewHarness({ backend });
      const title = '<!channel> <@U0EVIL> <https://evil.example|urgent> @here `x';
      await deliver(
        h,
        'pull_request',
        pullRequestPayload('opened', { number: 7, title, author: 'U0EVIL', reviewers: ['channel'] }),
      );
      await h.tugboat.settle();
      const roots = h.slackApi.messages(REVIEW_CHANNEL);
      expect(roots).toHaveLength(1);
      expect(roots[0].text).toContain('&lt;!channel&gt;');
      expect(problemsInSaid(h)).toEqual([]);
    });
  });
}
