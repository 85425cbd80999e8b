import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../config/index.ts';
import type { Deploy, PostDeployOutcome } from '../../deploys/index.ts';
import {
  durations,
  type FailingCheck,
  type Incident,
  type IncidentCheck,
  type IncidentEvent,
  LOGS_BEFORE_FIRST_FAILURE_MS,
  type OpenedIncident,
  RECENT_DEPLOYS_MS,
  postMortemDraft,
  type ResolvedIncident,
  type StreamEntry,
  timeline,
} from '../../incidents/index.ts';
import type { CheckTransition, MonitoringTransition } from '../../smoke/index.ts';
import { postDeployCheckLines, type CommitLinks } from './deploys.ts';
import {
  button,
  channelLink,
  code,
  mention,
  plain,
  refLabel,
  shortSha,
  slackTime,
  strong,
  type SlackMessage,
} from './format.ts';
import { escapeText, fenced, link, LIMITS, plainTextOf, sectionsOf } from './untrusted.ts';

export const INCIDENT_ACKNOWLEDGE_ACTION = 'incident_acknowledge';
export const INCIDENT_ROLLBACK_ACTION = 'incident_rollback';
export const INCIDENT_RESOLVE_ACTION = 'incident_resolve';
export const INCIDENT_RESOLVE_CONFIRM_ACTION = 'incident_resolve_confirm';
export const INCIDENT_ARCHIVE_ACTION = 'incident_archive';

/** What an incident's Roll back button carries: the incident, and the deploy to go back past when it is on one. */
export interface IncidentRollbackValue {
  incident: number;
  before?: number;
}

const took = (from: Date, to: Date) => formatDuration(Math.max(1000, to.getTime() - from.getTime()));
const where = (incident: Pick<Incident, 'service' | 'environment'>) =>
  `${strong(incident.service)} in ${strong(incident.environment)}`;
const lastError = (check: { lastError?: string | null }) =>
  check.lastError ? escapeText(check.lastError, LIMITS.sentence) : 'no error recorded';

const rollbackValue = (value: IncidentRollbackValue) => JSON.stringify(value);

/** The incident channel's name: `<prefix>-<yyyymmdd>-<service>-<env>`, lowercased to what Slack accepts, with a suffix from the second try. */
export function incidentChannelName(
  prefix: string,
  incident: Pick<Incident, 'service' | 'environment' | 'firstFailureAt'>,
  attempt: number,
): string {
  const day = incident.firstFailureAt.toISOString().slice(0, 10).replace(/-/g, '');
  const base = `${prefix}-${day}-${incident.service}-${incident.environment}`
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-');
  const suffix = attempt === 0 ? '' : `-${attempt + 1}`;
  return base.slice(0, 80 - suffix.length) + suffix;
}

/** The channel topic: where it stands, what fails, who has it. Plain text, within Slack's 250 characters. */
export function incidentTopic(incident: Incident, checks: IncidentCheck[], names: (userId: string) => string): string {
  const failing = checks.filter((check) => check.failing).map((check) => escapeText(check.name));
  const state =
    incident.status === 'resolved'
      ? 'Resolved'
      : failing.length > 0
        ? `Failing: ${failing.join(', ')}`
        : 'Recovered, not yet resolved';
  const owner = incident.acknowledgedBy ? `Acknowledged by ${names(incident.acknowledgedBy)}` : 'Not acknowledged';
  return `${escapeText(incident.service)} in ${escapeText(incident.environment)} · ${state} · ${owner}`.slice(0, 250);
}

function deployLine(deploy: Deploy, links: CommitLinks, repo: string): string {
  const commit = link(links.commitUrl(repo, deploy.sha), shortSha(deploy.sha));
  const kind = deploy.rollbackOf ? `rollback #${deploy.id}` : `#${deploy.id}`;
  return `${kind} ${commit} (${refLabel(deploy.ref)}) by ${mention(deploy.requestedBy)}, ${slackTime(deploy.createdAt)}, ${deploy.status}`;
}

/** The incident channel's first message: everything a responder needs to start. */
/** The newest deploys listed, each with its own Roll back button, so the message stays well within Slack's 50 blocks. */
/** The window the responder lists deploys from (src/incidents/responder.ts), in the words of the message. */
const RECENT_DEPLOYS_HOURS = RECENT_DEPLOYS_MS / 3_600_000;
const MAX_DEPLOYS_SHOWN = 10;

export function incidentOpened(opened: OpenedIncident, context: { links: CommitLinks; repo: string }): SlackMessage {
  const { incident, check } = opened;
  const headline = `:rotating_light: ${where(incident)} is failing its smoke checks`;
  const facts = [
    `*Check:* ${code(check.name)}`,
    `*Failing since:* ${slackTime(check.since)}`,
    `*Last error:* ${lastError(check)}`,
  ];
  if (opened.logUrl)
    facts.push(
      `*Logs:* ${link(opened.logUrl, `from ${LOGS_BEFORE_FIRST_FAILURE_MS / 60_000} minutes before the first failure to now`)}`,
    );
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: plainTextOf(`${incident.service} is failing in ${incident.environment}`, 150) },
    },
    { type: 'section', text: { type: 'mrkdwn', text: facts.join('\n') } },
    {
      type: 'actions',
      elements: [
        button(INCIDENT_ACKNOWLEDGE_ACTION, 'Acknowledge', String(incident.id), 'primary'),
        button(INCIDENT_ROLLBACK_ACTION, 'Roll back', rollbackValue({ incident: incident.id }), 'danger'),
        button(INCIDENT_RESOLVE_ACTION, 'Resolve', String(incident.id)),
      ],
    },
    { type: 'divider' },
  ];
  if (opened.recentDeploys.length === 0) {
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `No deploys of this service in the ${RECENT_DEPLOYS_HOURS} hours before the first failure.`,
        },
      ],
    });
  } else {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*Deploys in the ${RECENT_DEPLOYS_HOURS} hours before the first failure*` },
    });
    for (const deploy of opened.recentDeploys.slice(0, MAX_DEPLOYS_SHOWN)) {
      blocks.push({
        type: 'section',
        text: { type: 'mrkdwn', text: deployLine(deploy, context.links, context.repo) },
        accessory: button(
          INCIDENT_ROLLBACK_ACTION,
          'Roll back',
          rollbackValue({ incident: incident.id, before: deploy.id }),
          'danger',
        ),
      });
    }
  }
  const hidden = opened.recentDeploys.length - MAX_DEPLOYS_SHOWN;
  if (hidden > 0) {
    const history = `/tugboat history ${incident.service} ${incident.environment}`;
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `…and ${hidden} earlier ${hidden === 1 ? 'deploy' : 'deploys'}: ${code(history)} lists them.`,
        },
      ],
    });
  }
  return {
    text: `${headline}: ${escapeText(check.name)} since ${check.since.toISOString()}: ${lastError(check)}`,
    blocks,
  };
}

export function incidentPointer(incident: Incident, channelId: string, check: FailingCheck): SlackMessage {
  return plain(
    `:rotating_light: ${where(incident)} is failing (${code(check.name)}): follow it in ${channelLink(channelId)}.`,
  );
}

export function checksJoined(checks: IncidentCheck[]): SlackMessage {
  const line = (check: IncidentCheck) => `• ${code(check.name)} since ${slackTime(check.since)}: ${lastError(check)}`;
  return plain(
    [
      checks.length === 1
        ? ':red_circle: Another check is failing too:'
        : `:red_circle: ${checks.length} more checks are failing too:`,
      ...checks.map(line),
    ].join('\n'),
  );
}

/** One check's failures in one minute, folded into one message updated in place. */
export function streamedFailures(entry: StreamEntry, logUrl: string | undefined): SlackMessage {
  const count = entry.failures === 1 ? '1 failure' : `${entry.failures} failures`;
  const logs = logUrl ? ` · ${link(logUrl, 'logs')}` : '';
  return plain(
    `:x: ${code(entry.name)}: ${count} in the minute from ${slackTime(entry.minute)}, latest ${slackTime(entry.lastAt)}: ${lastError(entry)}${logs}`,
  );
}

export function checkRecovered(transition: CheckTransition): SlackMessage {
  return plain(
    `:large_green_circle: ${code(transition.check)} passes again (failed for ${took(transition.since, transition.at)}).`,
  );
}

export function incidentRecovered(incident: Incident): SlackMessage {
  const recovered = incident.recoveredAt ?? incident.firstFailureAt;
  return plain(
    `:white_check_mark: ${where(incident)} recovered: every check passes again, ${took(incident.firstFailureAt, recovered)} after the first failure. Resolve the incident when you are done.`,
  );
}

export function incidentRecoveredPointer(incident: Incident): SlackMessage {
  const channel = incident.channelId ? ` (${channelLink(incident.channelId)})` : '';
  return plain(
    `:white_check_mark: ${where(incident)} recovered after ${took(incident.firstFailureAt, incident.recoveredAt ?? incident.firstFailureAt)}${channel}.`,
  );
}

export function monitoringChanged(transition: MonitoringTransition): SlackMessage {
  return transition.kind === 'impaired'
    ? plain(
        `:warning: tugboat's monitoring itself is impaired (${escapeText(transition.reason, LIMITS.sentence)}): failures are not counted until it can reach the checks again.`,
      )
    : plain(
        `:large_green_circle: tugboat's monitoring works again after ${took(transition.since, transition.at)}; failures count again.`,
      );
}

export function acknowledged(incident: Incident): SlackMessage {
  return plain(`:eyes: ${mention(incident.acknowledgedBy ?? '')} acknowledged and is on it.`);
}

export function alreadyAcknowledged(incident: Incident | undefined): SlackMessage {
  if (!incident || incident.status !== 'open') return plain('This incident is already resolved.');
  return plain(
    `${mention(incident.acknowledgedBy ?? '')} already acknowledged this incident ${slackTime(incident.acknowledgedAt ?? incident.openedAt)}.`,
  );
}

export function rollbackStarted(incident: Incident, rollback: Deploy): SlackMessage {
  return plain(
    `:leftwards_arrow_with_hook: ${mention(rollback.requestedBy)} is rolling ${escapeText(incident.service)} back to ${code(shortSha(rollback.sha))} (rollback #${rollback.id}); follow it in ${channelLink(rollback.channel)}. The failing checks run again as soon as it finishes.`,
  );
}

export function rollbackChecked(rollback: Deploy, check: PostDeployOutcome | undefined): SlackMessage {
  if (check === undefined) {
    return plain(
      `:x: Rollback #${rollback.id} failed${rollback.detail ? `: ${escapeText(rollback.detail, LIMITS.sentence)}` : ''}. Its thread in ${channelLink(rollback.channel)} has the details; \`/rollback\` tries again.`,
    );
  }
  const verdict = check.passed
    ? `:white_check_mark: Rollback #${rollback.id} finished and the checks pass now: the rollback fixed it.`
    : `:x: Rollback #${rollback.id} finished but the checks still fail: the cause is elsewhere.`;
  return plain([verdict, ...postDeployCheckLines(check)].join('\n'));
}

export function stillFailing(incident: Incident, now: Date): SlackMessage {
  const channel = incident.channelId ? channelLink(incident.channelId) : 'its incident channel';
  const who = incident.acknowledgedBy ? `acknowledged by ${mention(incident.acknowledgedBy)}` : 'not acknowledged yet';
  return plain(
    `:rotating_light: ${where(incident)} is still failing, ${took(incident.firstFailureAt, now)} after the first failure (${who}): ${channel}.`,
  );
}

export function resolveRefused(incidentId: number, failing: IncidentCheck[]): SlackMessage {
  const names = failing.map((check) => code(check.name)).join(', ');
  const text = `These checks still fail: ${names}. Resolve anyway?`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        elements: [button(INCIDENT_RESOLVE_CONFIRM_ACTION, 'Resolve anyway', String(incidentId), 'danger')],
      },
    ],
  };
}

const eventLine = (names: (id: string) => string) => (m: ReturnType<typeof timeline>[number]) =>
  `${slackTime(m.at)} (+${formatDuration(Math.max(0, m.afterFirstFailureMs))}) ${m.label}${m.actor ? ` by ${names(m.actor)}` : ''}${m.detail ? `: ${escapeText(m.detail, LIMITS.sentence)}` : ''}`;

export function incidentTimeline(incident: Incident, events: IncidentEvent[]): SlackMessage {
  const state = incident.status === 'resolved' ? 'resolved' : incident.recoveredAt ? 'recovered, open' : 'open';
  const lines = timeline(incident, events).map(eventLine(mention));
  const all = [
    `*Timeline of ${escapeText(incident.service)} in ${escapeText(incident.environment)}* (${state})`,
    ...lines,
  ];
  return { text: all.join('\n'), blocks: sectionsOf(all) };
}

export function incidentResolved(resolved: ResolvedIncident): SlackMessage {
  const { incident, events } = resolved;
  const summary = durations(incident, events).map((d) => `${d.label}: ${formatDuration(Math.max(1000, d.ms))}`);
  const lines = timeline(incident, events).map(eventLine(mention));
  const all = [
    `:checkered_flag: ${mention(incident.resolvedBy ?? '')} resolved the incident: ${where(incident)}.`,
    summary.join(' · '),
    '',
    ...lines,
    '',
    'A post-mortem draft is in the thread.',
  ];
  return { text: all.join('\n'), blocks: sectionsOf(all) };
}

/** The draft in a code block: the outside values in it (names, errors, details) escaped, its actors' mentions kept. */
export function postMortem({ incident, checks, events }: ResolvedIncident): SlackMessage {
  const escaped = (value: string | null, max: number = LIMITS.sentence) =>
    value === null ? null : escapeText(value, max);
  const draft = postMortemDraft(
    { ...incident, service: escapeText(incident.service), environment: escapeText(incident.environment) },
    checks.map((check) => ({
      ...check,
      name: escapeText(check.name).replace(/`/g, 'ˋ'),
      lastError: escaped(check.lastError),
    })),
    events.map((event) => ({ ...event, detail: escaped(event.detail) })),
    mention,
  );
  return plain(`Post-mortem draft (Markdown, copy it into your docs):\n${fenced(draft)}`);
}

export function incidentResolvedPointer(incident: Incident): SlackMessage {
  return plain(
    `:checkered_flag: The incident of ${where(incident)} was resolved by ${mention(incident.resolvedBy ?? '')}.`,
  );
}

export function archiveOffer(incident: Incident): SlackMessage {
  const text = `This incident was resolved ${slackTime(incident.resolvedAt ?? incident.openedAt)}. Archive this channel?`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'actions', elements: [button(INCIDENT_ARCHIVE_ACTION, 'Archive channel', String(incident.id))] },
    ],
  };
}

/** A refusal names the people to ask (the first few: owners, then deployers, then admins). */
const MAX_ASKED = 5;

function askSomeone(people: string[]): string {
  const named = people.slice(0, MAX_ASKED).map(mention);
  if (named.length === 0) return 'ask your tugboat admins (`admins:` in tugboat.yml)';
  return `ask ${named.length === 1 ? named[0] : `${named.slice(0, -1).join(', ')} or ${named.at(-1)}`}`;
}

/** To someone who clicked Resolve (or Resolve anyway) without the right to. */
export function resolveNotAllowed(incident: Pick<Incident, 'service' | 'environment'>, people: string[]): SlackMessage {
  return plain(
    `Only the owners of *${escapeText(incident.service)}*, the deployers of *${escapeText(incident.environment)}* and admins can resolve this incident; ${askSomeone(people)}.`,
  );
}

/** To someone who clicked Archive channel without the right to. */
export function archiveNotAllowed(incident: Pick<Incident, 'service'>, people: string[]): SlackMessage {
  return plain(
    `Only the owners of *${escapeText(incident.service)}* and admins can archive this incident's channel; ${askSomeone(people)}.`,
  );
}
