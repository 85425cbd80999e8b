import type { KnownBlock } from '@slack/types';
import type { ThreadNote } from '../../reviews/notes.ts';
import type { PullRequestState, TrackedPullRequest } from '../../reviews/pull-requests.ts';
import type { Reviewer, ReviewerState } from '../../reviews/reviewers.ts';
import { code, mention as userMention, plain, strong, type SlackMessage } from './format.ts';
import { escapeText, link } from './untrusted.ts';

/** A login's (or team's) mention text, resolved before rendering. */
export type MentionOf = (login: string) => string;

const STATE: Record<PullRequestState, string> = {
  draft: ':construction: Draft',
  open: ':large_green_circle: Open',
  merged: ':purple_heart: Merged',
  closed: ':no_entry_sign: Closed',
};

const REVIEWER_STATE: Record<Exclude<ReviewerState, 'removed'>, string> = {
  requested: ':hourglass_flowing_sand: requested',
  approved: ':white_check_mark: approved',
  changes_requested: ':raised_hand: changes requested',
  commented: ':speech_balloon: commented',
};

/** Who acted, named without pinging them. */
const actor = (login: string) => strong(login);

/** A MentionOf's answer with only its Slack user mentions left as mentions; the rest (`@login`, `@org/team`) is text. */
const onlyUserMentions =
  (mention: MentionOf): MentionOf =>
  (login) =>
    mention(login)
      .split(' ')
      .map((word) => userMention(/^<@([UW][A-Z0-9]+)>$/.exec(word)?.[1] ?? word))
      .join(' ');

function listed(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** The one message per pull request in the review channel, updated in place. */
export function reviewRoot(pr: TrackedPullRequest, reviewers: Reviewer[], given: MentionOf): SlackMessage {
  const mention = onlyUserMentions(given);
  const headline = `:mag: *${link(pr.url, pr.title)}* #${pr.number} · ${escapeText(pr.service)}`;
  const facts = `by ${mention(pr.author)} · +${pr.additions} / −${pr.deletions} · ${STATE[pr.state]}`;
  const shown = reviewers.filter((r): r is Reviewer & { state: Exclude<ReviewerState, 'removed'> } => r.state !== 'removed');
  const people = shown.length > 0 ? `Reviewers: ${shown.map((r) => `${mention(r.reviewer)} ${REVIEWER_STATE[r.state]}`).join(' · ')}` : 'No reviewers yet';
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${headline}\n${facts}` } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: people }] },
  ];
  return { text: [headline, facts, people].join('\n'), blocks };
}

function noteLine(note: Exclude<ThreadNote, { kind: 'refresh' }>, mention: MentionOf): string {
  const pinged = (logins: string[]) => listed(logins.map(mention));
  switch (note.kind) {
    case 'requested':
      return `:eyes: ${actor(note.by)} asked ${pinged(note.reviewers)} for a review.`;
    case 'request_removed':
      return `:heavy_minus_sign: ${actor(note.by)} withdrew the review request for ${actor(note.reviewer)}.`;
    case 'ready':
      return `:rocket: ${actor(note.by)} marked this ready for review.${note.reviewers.length > 0 ? ` Over to you, ${pinged(note.reviewers)}.` : ''}`;
    case 'draft':
      return `:construction: ${actor(note.by)} turned this back into a draft; nudges pause until it is ready.`;
    case 'closed':
      return note.merged ? `:purple_heart: ${actor(note.by)} merged this.` : `:no_entry_sign: ${actor(note.by)} closed this without merging.`;
    case 'reopened':
      return `:arrows_counterclockwise: ${actor(note.by)} reopened this.`;
    case 'new_commits':
      return `:arrows_clockwise: ${actor(note.by)} pushed new commits since ${pinged(note.reviewers)} asked for changes.`;
    case 'review':
      return reviewLine(note, mention);
    case 'ready_comment':
      return `:wave: ${pinged(note.reviewers)}: ${actor(note.by)} says this is ${link(note.url, 'ready for your review')}.`;
    case 'resolved':
      return `:heavy_check_mark: ${pinged(note.reviewers)}: ${actor(note.by)} ${link(note.url, 'resolved')} the changes you asked for.`;
  }
}

function reviewLine(note: Extract<ThreadNote, { kind: 'review' }>, mention: MentionOf): string {
  const to = note.author ? `, ${mention(note.author)}` : '';
  switch (note.verdict) {
    case 'approved':
      return `:white_check_mark: ${actor(note.reviewer)} ${link(note.url, 'approved')} this${to}.`;
    case 'changes_requested':
      return `:raised_hand: ${actor(note.reviewer)} ${link(note.url, 'asked for changes')}${to}.`;
    case 'commented':
      return `:speech_balloon: ${actor(note.reviewer)} ${link(note.url, 'commented')}.`;
  }
}

const linkHint = (login: string) =>
  `:bulb: @${escapeText(login)} is not linked to a Slack user yet. If that is you, run ${code(`/tugboat link ${login}`)} so tugboat can mention you.`;

/** Everything a burst of events says, as one reply; undefined when there is nothing to say. */
export function reviewReply(notes: ThreadNote[], unlinked: string[], given: MentionOf): SlackMessage | undefined {
  const mention = onlyUserMentions(given);
  const lines = [...notes.flatMap((note) => (note.kind === 'refresh' ? [] : [noteLine(note, mention)])), ...unlinked.map(linkHint)];
  return lines.length > 0 ? plain(lines.join('\n')) : undefined;
}

export function linkConfirmation(login: string, slackUser: string, configuredAs: string | undefined): SlackMessage {
  if (configuredAs && configuredAs !== slackUser) {
    return plain(`Noted, but ${code('tugboat.yml')} maps GitHub ${strong(login)} to ${userMention(configuredAs)}, and it wins. Ask whoever maintains it to change \`people:\`.`);
  }
  return plain(`:link: GitHub ${strong(login)} is now you, ${userMention(slackUser)}: review requests and verdicts on pull requests will mention you.`);
}

export function linkUsage(given?: string): SlackMessage {
  const what = given === undefined ? 'Say which GitHub login is yours' : `${code(given)} is not a GitHub login`;
  return plain(`${what}: ${code('/tugboat link <github-login>')}, like ${code('/tugboat link octocat')}.`);
}
