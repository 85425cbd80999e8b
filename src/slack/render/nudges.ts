import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../config/index.ts';
import { type NudgeTarget, SNOOZE_CHOICES, type SnoozeChoice, type Wait } from '../../reviews/index.ts';
import { button, code, mention, plain, slackTime, type SlackMessage } from './format.ts';
import { escapeText, link } from './untrusted.ts';

const SNOOZE_ACTION_PREFIX = 'review_snooze:';
export const SNOOZE_ACTION = new RegExp(`^${SNOOZE_ACTION_PREFIX}`);

const SNOOZE_LABELS: Record<SnoozeChoice, string> = {
  '1h': 'Snooze 1 hour',
  '4h': 'Snooze 4 hours',
  'next-business-day': 'Snooze until next business day',
};

export const snoozeChoiceOf = (actionId: string): SnoozeChoice | undefined =>
  SNOOZE_CHOICES.find((choice) => `${SNOOZE_ACTION_PREFIX}${choice}` === actionId);

const pullLink = (wait: Wait) => `*${link(wait.url, `${wait.repo}#${wait.number}`)}* ${escapeText(wait.title)}`;
const login = (target: Pick<NudgeTarget, 'login'>) => escapeText(`@${target.login}`);
const linkCommand = (target: Pick<NudgeTarget, 'login'>) => code(`/tugboat link ${target.login}`);

/** Minutes under a day, then hours: "45m", "6h 10m", "2d 3h". */
function roughly(ms: number): string {
  const unit = ms >= 86_400_000 ? 3_600_000 : 60_000;
  return formatDuration(Math.max(unit, Math.round(ms / unit) * unit));
}

const waitingFor = (wait: Wait) => (wait.role === 'reviewer' ? 'your review' : 'your changes');

/** The nudge, in the PR's thread: who, for what, how long it has waited (wall-clock), and Snooze buttons. */
export function nudgeMessage(wait: Wait, slackUser: string | undefined, now: Date): SlackMessage {
  const who = slackUser ? mention(slackUser) : login(wait);
  const afterChanges = wait.role === 'author' ? ' Comment `resolved` on it when they are in.' : '';
  const unlinked = slackUser
    ? ''
    : `\n_${login(wait)} has no Slack user linked: if that is you, ${linkCommand(wait)}._`;
  const text = `:eyes: ${who}, ${pullLink(wait)} has been waiting ${roughly(now.getTime() - wait.since.getTime())} for ${waitingFor(wait)}.${afterChanges}${unlinked}`;
  const target: NudgeTarget = { role: wait.role, repo: wait.repo, number: wait.number, login: wait.login };
  const value = JSON.stringify(target);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        elements: SNOOZE_CHOICES.map((choice) =>
          button(`${SNOOZE_ACTION_PREFIX}${choice}`, SNOOZE_LABELS[choice], value),
        ),
      },
    ],
  };
}

/** The nudge again, its buttons replaced by the snooze. */
export function snoozedNudge(nudgeText: string, until: Date, by: string): SlackMessage {
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: nudgeText } },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `:zzz: Snoozed until ${slackTime(until)} by ${mention(by)}` }],
    },
  ];
  return { text: nudgeText, blocks };
}

export function snoozeConfirmation(until: Date): SlackMessage {
  return plain(`:zzz: Snoozed until ${slackTime(until)}.`);
}

export function notYourNudge(target: NudgeTarget): SlackMessage {
  return plain(`Only ${login(target)} can snooze this nudge. If that is you on GitHub, ${linkCommand(target)} first.`);
}

export function nothingToSnooze(target: NudgeTarget): SlackMessage {
  return plain(
    `Nothing to snooze: ${escapeText(`${target.repo}#${target.number}`)} no longer waits on ${login(target)}.`,
  );
}

const waitLine = (wait: Wait, now: Date) =>
  `• ${pullLink(wait)}: waiting ${roughly(now.getTime() - wait.since.getTime())}`;

/** `/tugboat reviews`: reviews requested from the caller, then their PRs waiting on their changes, oldest first. */
export function waitsOnYou(waits: Wait[], now: Date): SlackMessage {
  if (waits.length === 0) return plain('Nothing is waiting on you. :tada:');
  const section = (title: string, role: Wait['role']) => {
    const lines = waits.filter((wait) => wait.role === role).map((wait) => waitLine(wait, now));
    return lines.length === 0 ? [] : [`*${title}*`, ...lines];
  };
  return plain(
    [...section('Waiting for your review', 'reviewer'), ...section('Waiting for your changes', 'author')].join('\n'),
  );
}

export function noGitHubLogin(): SlackMessage {
  return plain(`I do not know your GitHub login yet. Run ${code('/tugboat link <github-login>')}, then ask again.`);
}
