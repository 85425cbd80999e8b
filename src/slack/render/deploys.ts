import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../config/index.ts';
import {
  type Blocker,
  type CheckName,
  type Deploy,
  type DeployStop,
  failedChecks,
  type PassReason,
  type PostDeployOutcome,
  type PreflightResult,
  type QueuedDeploy,
  type RollbackAttempt,
  type RollbackTarget,
  type SmokeFailureResponse,
} from '../../deploys/index.ts';
import { scopeLabel, type Lock } from '../../locks/index.ts';
import type { CheckState } from '../../smoke/index.ts';
import {
  button,
  channelLink,
  code,
  mention,
  plain,
  refLabel,
  relative,
  shortSha,
  slackTime,
  strong,
  type SlackMessage,
} from './format.ts';
import { codeBlock, escapeText, link, LIMITS } from './untrusted.ts';

export const DEPLOY_ROLLBACK_ACTION = 'deploy_rollback';
export const DEPLOY_QUEUE_ACTION = 'deploy_queue';
export const DEPLOY_CONFIRM_ACTION = 'deploy_confirm';

/** What a Queue me / Deploy / Deploy anyway button carries. */
export interface DeployButtonValue {
  service: string;
  environment: string;
  ref: string;
  force?: boolean;
  confirmBadSha?: boolean;
}

export interface CommitLinks {
  commitUrl(repo: string, sha: string): string;
}

const STATUS: Record<Deploy['status'], { emoji: string; verb: string }> = {
  pending: { emoji: ':hourglass_flowing_sand:', verb: 'is about to deploy' },
  running: { emoji: ':rocket:', verb: 'is deploying' },
  succeeded: { emoji: ':white_check_mark:', verb: 'deployed' },
  failed: { emoji: ':x:', verb: 'failed to deploy' },
  unknown: { emoji: ':grey_question:', verb: 'lost track of deploying' },
};
/** Deploys stopped before they reported read as what stopped them. */
const STOPPED: Partial<Record<NonNullable<Deploy['stopReason']>, { emoji: string; verb: string }>> = {
  timed_out: { emoji: ':hourglass:', verb: 'timed out deploying' },
  cancelled: { emoji: ':no_entry_sign:', verb: 'had a deploy cancelled:' },
};
const statusOf = (deploy: Deploy) => (deploy.stopReason && STOPPED[deploy.stopReason]) || STATUS[deploy.status];

export function rollbackButton(deployId: number) {
  return button(DEPLOY_ROLLBACK_ACTION, 'Roll back', String(deployId), 'danger');
}

/** The one message per deploy in the environment's channel, updated in place as it moves. */
export function deployAnnouncement(
  deploy: Deploy,
  context: { repo?: string; links: CommitLinks; logUrl?: string; now: Date },
): SlackMessage {
  const { emoji, verb } = statusOf(deploy);
  const commit = context.repo
    ? link(context.links.commitUrl(context.repo, deploy.sha), shortSha(deploy.sha))
    : code(shortSha(deploy.sha));
  const what = deploy.rollbackOf
    ? `a rollback of ${strong(deploy.service)} (undoing #${deploy.rollbackOf})`
    : strong(deploy.service);
  const headline = `${emoji} ${mention(deploy.requestedBy)} ${verb} ${what} ${commit} (${refLabel(deploy.ref)}) to ${strong(deploy.environment)}`;
  const facts = [`#${deploy.id}`, `started ${slackTime(deploy.startedAt ?? deploy.createdAt)}`];
  if (deploy.finishedAt)
    facts.push(
      `took ${formatDuration(Math.max(1000, deploy.finishedAt.getTime() - (deploy.startedAt ?? deploy.createdAt).getTime()))}`,
    );
  if (deploy.forced) facts.push('CI overridden with --force');
  if (context.logUrl) facts.push(link(context.logUrl, 'logs'));
  if (deploy.logUrl) facts.push(link(deploy.logUrl, 'deploy log'));
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: headline } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: facts.join(' · ') }] },
  ];
  if (deploy.status === 'failed' || deploy.status === 'unknown') {
    if (deploy.detail)
      blocks.push({
        type: 'section',
        text: { type: 'mrkdwn', text: `*Why:* ${escapeText(deploy.detail, LIMITS.sentence)}` },
      });
    if (deploy.stopReason !== 'superseded') blocks.push({ type: 'actions', elements: [rollbackButton(deploy.id)] });
  }
  return { text: headline, blocks };
}

/** `text` is mrkdwn tugboat built (an executor's or a webhook handler's line), each outside value in it escaped by whoever built it. */
export function deployProgress(text: string): SlackMessage {
  return plain(text);
}

export function deployOutput(tail: string): SlackMessage {
  return plain(`Last lines of output:\n${codeBlock(tail)}`);
}

export function deploySuperseded(by: Deploy): SlackMessage {
  return plain(
    `:leftwards_arrow_with_hook: ${mention(by.requestedBy)} rolled back while this deploy was in flight; rollback #${by.id} takes over.`,
  );
}

/** What to look at when a deploy gave no outcome in time, by how it runs. */
const WHAT_TO_CHECK: Record<string, string> = {
  'github-deployment':
    'Check the CD system that acts on GitHub deployments of this repository: did it pick this one up, and does it report deployment statuses?',
  workflow:
    'Check the workflow run on GitHub: is it stuck or waiting for a runner, and does its run-name say "tugboat deploy #<id>"?',
  webhook:
    "Check the receiver: did it get the deploy, and can it reach tugboat's `/deploys/callback` (at `TUGBOAT_PUBLIC_URL`)?",
  command: 'Check the script: where it hung, and what it left behind.',
};

/** In the thread of a deploy stopped before it reported: why, who, what GitHub or the receiver was told, and what to check now. */
export function deployStopped(deploy: Deploy, stop: DeployStop): SlackMessage {
  const where = `${strong(deploy.service)} in ${strong(deploy.environment)}`;
  const told = stop.told ? `Stopped on the other side: ${escapeText(stop.told, LIMITS.sentence)}.` : '';
  const script =
    deploy.executor === 'command'
      ? 'The replica running its script stops it, with everything it started, within 5 seconds.'
      : '';
  const lines = (() => {
    switch (stop.reason) {
      case 'cancelled':
        return [
          `:no_entry_sign: ${mention(stop.by ?? deploy.requestedBy)} cancelled this deploy; ${strong(deploy.environment)} is free again.`,
          script,
          told,
        ];
      case 'timed_out':
        return [
          `:hourglass: No outcome within ${formatDuration(stop.afterMs ?? 0)} (${code('deploy.timeout')}), so tugboat stopped waiting; ${strong(deploy.environment)} is free again.`,
          stop.pending ? `Where it stood: ${escapeText(stop.pending, LIMITS.sentence)}.` : '',
          told,
          WHAT_TO_CHECK[deploy.executor] ?? '',
        ];
      case 'shutdown':
        return [
          `:octagonal_sign: tugboat was shut down while this deploy's script ran, and it had not finished after the ${formatDuration(stop.afterMs ?? 0)} grace (${code('TUGBOAT_SHUTDOWN_GRACE')}), so it was stopped.`,
        ];
    }
  })();
  return plain(
    [...lines, `Check ${where} (it may be half-deployed), then deploy again or roll back.`].filter(Boolean).join('\n'),
  );
}

/** From the replica that ran a stopped deploy's script, once the script is gone. */
export function deployScriptStopped(): SlackMessage {
  return plain(':octagonal_sign: The deploy script has stopped (its whole process group was signalled).');
}

/** In a deploy's thread when it had to wait for the script of a stopped deploy of the same service and environment. */
export function deployWaitedForScript(previous: number, how: 'released' | 'lapsed'): SlackMessage {
  return plain(
    how === 'released'
      ? `:hourglass_flowing_sand: Started once the script of #${previous} had stopped, so the two never ran at once.`
      : `:hourglass_flowing_sand: Started once the lease of #${previous} lapsed: the replica running its script stopped renewing it (it may have died), so tugboat could not confirm that script stopped.`,
  );
}

/** `/deploy cancel` answers. */
export function nothingToCancel(service: string, environment: string): SlackMessage {
  return plain(`Nothing to cancel: no deploy of ${strong(service)} to ${strong(environment)} is in flight.`);
}

export function cancelNotAllowed(deploy: Deploy): SlackMessage {
  return plain(
    `Only ${mention(deploy.requestedBy)} (who started #${deploy.id}), the deployers of ${strong(deploy.environment)} and admins can cancel it.`,
  );
}

export function cancelOutcome(deploy: Deploy, cancelled: boolean): SlackMessage {
  return plain(
    cancelled
      ? `Cancelled #${deploy.id} (${strong(deploy.service)} to ${strong(deploy.environment)}); its thread in ${channelLink(deploy.channel)} says what was stopped.`
      : `#${deploy.id} finished before it could be cancelled.`,
  );
}

/** One line per post-deploy check, for the deploy's thread and the incident channel. */
export const postDeployCheckLines = (outcome: PostDeployOutcome): string[] =>
  outcome.results.map((r) =>
    r.ok
      ? `:white_check_mark: ${escapeText(r.name)}: ${r.status} in ${Math.round(r.latencyMs)} ms`
      : `:x: ${escapeText(r.name)}: ${escapeText(r.error, LIMITS.sentence)}`,
  );

export function smokeResult(
  deploy: Deploy,
  result: PostDeployOutcome & { response: SmokeFailureResponse },
): SlackMessage {
  const headline = result.passed
    ? ':white_check_mark: Smoke checks passed after the deploy.'
    : ':rotating_light: Smoke checks failed after the deploy.';
  const text = [headline, ...postDeployCheckLines(result), ...smokeFailureResponse(deploy, result.response)].join('\n');
  if (result.response.kind !== 'offer-rollback') return plain(text);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'actions', elements: [rollbackButton(deploy.id)] },
    ],
  };
}

function smokeFailureResponse(deploy: Deploy, response: SmokeFailureResponse): string[] {
  switch (response.kind) {
    case 'rolled-back':
      return [
        `:leftwards_arrow_with_hook: Rolled back automatically (rollback #${response.rollback.id} to ${code(shortSha(response.rollback.sha))}), as \`on_smoke_failure: rollback\` asks for ${strong(deploy.environment)}.`,
        response.locked
          ? `:lock: ${strong(deploy.environment)} is locked by ${mention(deploy.requestedBy)} until someone runs ${code(`/unlock ${deploy.environment}`)}.`
          : `${strong(deploy.environment)} was already locked, so it was not locked again.`,
      ];
    case 'rollback-refused':
      return [
        `Could not roll back automatically; see ${code(`/tugboat history ${deploy.service} ${deploy.environment}`)} and ${code(`/rollback ${deploy.service} ${deploy.environment}`)}.`,
      ];
    default:
      return [];
  }
}

function checkState({ name, latest }: { name: string; latest?: CheckState }, now: Date): string {
  if (!latest) return `:white_circle: ${code(name)} not run yet`;
  const when = relative(latest.at, now);
  if (latest.ok) return `:large_green_circle: ${code(name)} ${latest.latencyMs} ms (${when})`;
  if (latest.inconclusive) return `:white_circle: ${code(name)} inconclusive: monitoring impaired (${when})`;
  return `:red_circle: ${code(name)} ${latest.alerting ? 'alerting' : 'failing'}: ${latest.error ? escapeText(latest.error, LIMITS.sentence) : 'failed'} (${when})`;
}

/** `problem` is `refProblem`'s: mrkdwn that quotes only fixed characters. */
export function invalidRef(ref: string, problem: string): string {
  return `${code(ref)} is not a valid git ref: ${problem}.`;
}

/** One sentence per failed check: why, and what to do. */
export function blockerSentence(
  blocker: Blocker,
  request: { service: string; environment: string; ref: string },
  now: Date,
): string {
  switch (blocker.kind) {
    case 'not-allowed':
      return `You are not on the deployers list for ${strong(request.environment)}. Ask an admin or one of its deployers.`;
    case 'locked': {
      const lock = blocker.lock;
      const reason = lock.reason ? `: ${escapeText(lock.reason, LIMITS.sentence)}` : '';
      return `${strong(scopeLabel(lock.scope))} is locked by ${mention(lock.holder)} until ${slackTime(lock.expiresAt)} (${relative(lock.expiresAt, now)})${reason}.`;
    }
    case 'in-flight': {
      const d = blocker.deploy;
      return `${mention(d.requestedBy)} is already deploying ${strong(d.service)} ${code(shortSha(d.sha))} to ${strong(d.environment)} (#${d.id}, started ${relative(d.startedAt ?? d.createdAt, now)}).`;
    }
    case 'invalid-ref':
      return invalidRef(blocker.ref, blocker.problem);
    case 'unknown-ref':
      return `GitHub does not know ${code(blocker.ref)} in this repository: give a branch, a tag or a commit SHA.`;
    case 'ci': {
      const [first, ...rest] = blocker.verdict.blocking;
      const name = link(first.url, first.name);
      const more = rest.length ? ` (and ${rest.length} more)` : '';
      const state = first.state === 'pending' ? 'is still running' : 'failed';
      return `CI is not green: ${name} ${state}${more}. Fix it or wait for it; an admin can override with \`--force\`.`;
    }
    case 'bad-sha':
      return `${code(shortSha(blocker.bad.sha))} was rolled back from (#${blocker.bad.deployId}) ${relative(blocker.bad.markedAt, now)}. Deploy it again only if you are sure.`;
  }
}

/** A bullet per failed check. */
const refusalReasons = (checked: PreflightResult, now: Date): string[] =>
  failedChecks(checked.checks).map((c) => `• ${blockerSentence(c.blocker, checked.request, now)}`);

/** The ephemeral refusal: every reason, plus Queue me when only waiting would help, or Deploy anyway for a rolled-back SHA. */
export function deployRefusal(checked: PreflightResult, now: Date): SlackMessage {
  const reasons = refusalReasons(checked, now);
  const text = `:no_entry: Not deploying ${strong(checked.request.service)} to ${strong(checked.request.environment)}:\n${reasons.join('\n')}`;
  const value: DeployButtonValue = {
    service: checked.request.service,
    environment: checked.request.environment,
    ref: checked.request.ref,
    force: checked.request.force,
  };
  const actions = checked.queueable
    ? [button(DEPLOY_QUEUE_ACTION, 'Queue me', JSON.stringify(value), 'primary')]
    : checked.confirmable
      ? [button(DEPLOY_CONFIRM_ACTION, 'Deploy anyway', JSON.stringify({ ...value, confirmBadSha: true }), 'danger')]
      : [];
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  if (actions.length) blocks.push({ type: 'actions', elements: actions });
  return { text, blocks };
}

const CHECK_LABEL: Record<CheckName, string> = {
  permission: 'Allowed to deploy here',
  lock: 'No lock held by someone else',
  'in-flight': 'No deploy in flight',
  ref: 'Ref resolves to a commit',
  ci: 'CI is green',
  'bad-sha': 'Not a rolled-back SHA',
};

const PASS_REASON: Record<PassReason, string> = {
  forced: 'overridden with --force',
  confirmed: 'confirmed',
  rollback: 'not checked for a rollback: the release was green when it shipped',
  'ci-not-required': 'not required here',
  'no-ci-reported': 'no checks reported for this commit',
};

/** `--plan`: each check and its result, and a Deploy button that checks again when clicked. */
export function deployPlan(checked: PreflightResult, links: CommitLinks, repo: string, now: Date): SlackMessage {
  const commit = checked.commit
    ? link(links.commitUrl(repo, checked.commit.sha), shortSha(checked.commit.sha))
    : 'an unknown commit';
  const lines = checked.checks.map((c) => {
    const mark = c.passed ? ':white_check_mark:' : ':x:';
    const why = c.passed
      ? c.reason
        ? ` (${PASS_REASON[c.reason]})`
        : ''
      : `: ${blockerSentence(c.blocker, checked.request, now)}`;
    return `${mark} ${CHECK_LABEL[c.name]}${why}`;
  });
  const verdict = checked.ok ? 'Everything checks out.' : 'This deploy would be refused.';
  const text = `*Plan:* deploy ${strong(checked.request.service)} ${commit} (${code(checked.request.ref)}) to ${strong(checked.request.environment)}\n${lines.join('\n')}\n${verdict}`;
  const value: DeployButtonValue = {
    service: checked.request.service,
    environment: checked.request.environment,
    ref: checked.request.ref,
    force: checked.request.force,
  };
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'actions', elements: [button(DEPLOY_CONFIRM_ACTION, 'Deploy', JSON.stringify(value), 'primary')] },
    ],
  };
}

/** To someone whose deploy or rollback started in another channel than theirs. */
export function deployStarted(deploy: Deploy): SlackMessage {
  return plain(
    `${deploy.rollbackOf ? 'Rollback' : 'Deploy'} #${deploy.id} started; follow it in ${channelLink(deploy.channel)}.`,
  );
}

/** In the environment's channel when a push's auto-deploy did not start: every reason. */
export function autoDeployRefusal(
  push: { branch: string; pusher: string },
  checked: PreflightResult,
  now: Date,
): SlackMessage {
  const { service, environment, ref } = checked.request;
  const what = `${strong(service)} ${code(shortSha(ref))} (pushed to ${code(push.branch)} by ${escapeText(push.pusher)}) to ${strong(environment)}`;
  return plain(`:pause_button: Auto-deploy of ${what} did not start:\n${refusalReasons(checked, now).join('\n')}`);
}

export function queuedConfirmation(entry: QueuedDeploy, position: number, alreadyQueued: boolean): SlackMessage {
  const where = `${strong(entry.service)} (${code(entry.ref)}) to ${strong(entry.environment)}`;
  return plain(
    alreadyQueued
      ? `You are already queued to deploy ${where}, position ${position}.`
      : `Queued: you will deploy ${where} when the way is clear (position ${position}). Checks run again then; you will be told either way.`,
  );
}

export function queuedStarted(entry: QueuedDeploy, deploy: Deploy): SlackMessage {
  return plain(
    `:arrow_forward: Your queued deploy of ${strong(entry.service)} (${code(entry.ref)}) to ${strong(entry.environment)} started: #${deploy.id}.`,
  );
}

export function queuedDropped(entry: QueuedDeploy, checked: PreflightResult, now: Date): SlackMessage {
  const reasons = refusalReasons(checked, now);
  return plain(
    `:wastebasket: Your queued deploy of ${strong(entry.service)} (${code(entry.ref)}) to ${strong(entry.environment)} was dropped:\n${reasons.join('\n')}`,
  );
}

export function queuedRemoved(entry: QueuedDeploy, removed: 'service' | 'environment'): SlackMessage {
  const what =
    removed === 'service' ? strong(entry.service) : `${strong(entry.environment)} for ${strong(entry.service)}`;
  return plain(
    `:wastebasket: Your queued deploy of ${strong(entry.service)} (${code(entry.ref)}) to ${strong(entry.environment)} was dropped: ${what} was removed from tugboat.yml.`,
  );
}

/** The caller's answer when a rollback did not start (the command and the Rollback button). */
export function rollbackAnswer(
  attempt: Exclude<RollbackAttempt, { ok: true }>,
  where: { service: string; environment: string },
  policy: { max_releases: number; max_age: number },
  now: Date,
): SlackMessage {
  if ('preflight' in attempt) return deployRefusal(attempt.preflight, now);
  if ('rollbackInFlight' in attempt)
    return plain(
      `A rollback of ${strong(where.service)} in ${strong(where.environment)} is already in flight (#${attempt.rollbackInFlight.id}).`,
    );
  if ('notLatest' in attempt) {
    const { clicked, latest } = attempt.notLatest;
    return plain(
      latest.rollbackOf === clicked
        ? `#${clicked} was already rolled back by #${latest.id}.`
        : `#${clicked} is no longer the latest deploy of ${strong(where.service)} in ${strong(where.environment)} (#${latest.id} is). Use ${code(`/rollback ${where.service} ${where.environment}`)} to roll back from there.`,
    );
  }
  return rollbackRefusal(attempt.target, { ...where, maxReleases: policy.max_releases, maxAge: policy.max_age });
}

function rollbackRefusal(
  target: Exclude<RollbackTarget, { ok: true }>,
  request: { service: string; environment: string; maxReleases: number; maxAge: number },
): SlackMessage {
  const where = `${strong(request.service)} in ${strong(request.environment)}`;
  switch (target.reason) {
    case 'nothing-deployed':
      return plain(`Nothing to roll back: tugboat has no deploy of ${where} yet.`);
    case 'no-earlier-release':
      return plain(
        `Nothing to roll back to: ${where} has no earlier successful release (with passing smoke checks) than #${target.undo.id}. Deploy a fix instead.`,
      );
    case 'not-a-release':
      return plain(
        `${code(target.named)} is not an earlier successful release of ${where}. ${code(`/tugboat history ${request.service} ${request.environment}`)} lists them.`,
      );
    case 'outside-policy':
      return plain(
        target.why === 'too-old'
          ? `#${target.target.id} (${code(shortSha(target.target.sha))}) is older than the rollback policy allows (${formatDuration(request.maxAge)}). Deploy that ref with \`/deploy\` if you really mean it.`
          : `#${target.target.id} is more than ${request.maxReleases} releases back, beyond the rollback policy. Deploy that ref with \`/deploy\` if you really mean it.`,
      );
  }
}

const OUTCOME: Record<Deploy['status'], string> = {
  pending: ':hourglass_flowing_sand: pending',
  running: ':rocket: running',
  succeeded: ':white_check_mark: succeeded',
  failed: ':x: failed',
  unknown: ':grey_question: unknown',
};
const STOPPED_OUTCOME: Partial<Record<NonNullable<Deploy['stopReason']>, string>> = {
  timed_out: ':hourglass: timed out',
  cancelled: ':no_entry_sign: cancelled',
};
const outcomeOf = (deploy: Deploy) =>
  (deploy.stopReason && STOPPED_OUTCOME[deploy.stopReason]) || OUTCOME[deploy.status];

export function deployHistory(
  service: string,
  environment: string | undefined,
  deploys: Deploy[],
  now: Date,
): SlackMessage {
  const where = environment ? `${strong(service)} in ${strong(environment)}` : strong(service);
  if (deploys.length === 0) return plain(`No deploys of ${where} yet.`);
  const lines = deploys.map((d) => {
    const marks = [
      d.rollbackOf ? `rollback of #${d.rollbackOf}` : '',
      d.forced ? 'forced' : '',
      d.smokeStatus === 'failed' ? 'smoke failed' : '',
    ].filter(Boolean);
    return `• #${d.id} ${code(shortSha(d.sha))} (${refLabel(d.ref)}) to ${escapeText(d.environment)} by ${mention(d.requestedBy)} ${relative(d.createdAt, now)}: ${outcomeOf(d)}${marks.length ? ` (${marks.join(', ')})` : ''}`;
  });
  return plain(`*Recent deploys of ${where}*\n${lines.join('\n')}`);
}

export function deployStatus(
  sections: Array<{
    service: string;
    environments: Array<{
      environment: string;
      current?: Deploy;
      inFlight?: Deploy;
      lock?: Lock;
      queued: QueuedDeploy[];
      checks: Array<{ name: string; latest?: CheckState }>;
    }>;
  }>,
  now: Date,
  /** Services and environments a reload removed from tugboat.yml whose deploys are still in flight or queued. */
  removed: Array<{ service: string; environment: string; inFlight?: Deploy; queued: QueuedDeploy[] }> = [],
): SlackMessage {
  const lines = sections.flatMap(({ service, environments }) => [
    strong(service),
    ...environments.map((e) => {
      const current = e.current
        ? `${code(shortSha(e.current.sha))} (#${e.current.id}, ${relative(e.current.finishedAt ?? e.current.createdAt, now)})`
        : 'nothing deployed by tugboat yet';
      const extra = [
        inFlightNote(e.inFlight),
        e.lock ? `:lock: ${escapeText(scopeLabel(e.lock.scope))} locked by ${mention(e.lock.holder)}` : '',
        queueNote(e.queued),
      ].filter(Boolean);
      const checks = e.checks.length
        ? `\n      checks: ${e.checks.map((check) => checkState(check, now)).join(' · ')}`
        : '';
      return `  • ${escapeText(e.environment)}: ${current}${extra.length ? ` · ${extra.join(' · ')}` : ''}${checks}`;
    }),
  ]);
  if (removed.length) {
    lines.push(
      '*removed from tugboat.yml*',
      ...removed.map(
        (r) =>
          `  • ${escapeText(r.service)} in ${escapeText(r.environment)}: ${[inFlightNote(r.inFlight), queueNote(r.queued)].filter(Boolean).join(' · ')}`,
      ),
    );
  }
  return plain(lines.join('\n'));
}

const inFlightNote = (deploy: Deploy | undefined) =>
  deploy ? `:rocket: deploying ${code(shortSha(deploy.sha))} (#${deploy.id}) for ${mention(deploy.requestedBy)}` : '';
const queueNote = (queued: QueuedDeploy[]) =>
  queued.length ? `queue: ${queued.map((q) => `${mention(q.requestedBy)} (${code(q.ref)})`).join(', ')}` : '';

/** A command that needed GitHub while tugboat's API allowance is used up: nothing was done. */
export function githubLimitUsedUp(resetAt: Date, now: Date): SlackMessage {
  return plain(
    `GitHub's API limit for tugboat is used up until ${slackTime(resetAt)} (${relative(resetAt, now)}), so nothing was done; try again then.`,
  );
}

/** To someone not an admin who asked to deploy past red CI (`--force`, or a Deploy button carrying it). */
export function forceNotAllowed(): SlackMessage {
  return plain(
    'Only admins (`admins:` in tugboat.yml) can deploy past red CI with `--force`; ask one of them, or fix CI.',
  );
}
