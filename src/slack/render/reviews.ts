import type { KnownBlock } from '@slack/types';
import type { PullRequestState, Reviewer, ReviewerState, ThreadNote, TrackedPullRequest } from '../../reviews/index.ts';
import { code, mention as userMention, plain, strong, type SlackMessage } from './format.ts';
import { escapeText, link } from './untrusted.ts';

/** The Slack users a login (or a team) maps to, resolved before rendering; none when unmapped. */
export type MentionOf = (login: string) => string[];

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

/** A login's (or team's) Slack users as mentions; unmapped, `@login` (or `@org/team`) as text. */
const mentionsWith =
  (usersOf: MentionOf) =>
  (login: string): string => {
    const users = usersOf(login);
    return users.length > 0 ? users.map(userMention).join(' ') : escapeText(`@${login}`);
  };

type Mention = ReturnType<typeof mentionsWith>;

function listed(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** The one message per pull request in the review channel, updated in place. */
export function reviewRoot(pr: TrackedPullRequest, reviewers: Reviewer[], given: MentionOf): SlackMessage {
  const mention = mentionsWith(given);
  const headline = `:mag: *${link(pr.url, pr.title)}* #${pr.number} · ${escapeText(pr.service)}`;
  const facts = `by ${mention(pr.author)} · +${pr.additions} / −${pr.deletions} · ${STATE[pr.state]}`;
  const shown = reviewers.filter(
    (r): r is Reviewer & { state: Exclude<ReviewerState, 'removed'> } => r.state !== 'removed',
  );
  const people =
    shown.length > 0
      ? `Reviewers: ${shown.map((r) => `${mention(r.reviewer)} ${REVIEWER_STATE[r.state]}`).join(' · ')}`
      : 'No reviewers yet';
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${headline}\n${facts}` } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: people }] },
  ];
  return { text: [headline, facts, people].join('\n'), blocks };
}

function noteLine(note: Exclude<ThreadNote, { kind: 'refresh' }>, mention: Mention): string {
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
      return note.merged
        ? `:purple_heart: ${actor(note.by)} merged this.`
        : `:no_entry_sign: ${actor(note.by)} closed this without merging.`;
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

function reviewLine(note: Extract<ThreadNote, { kind: 'review' }>, mention: Mention): string {
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
  `:bulb: ${escapeText(`@${login}`)} is not linked to a Slack user yet. If that is you, run ${code(`/tugboat link ${login}`)} so tugboat can mention you.`;

/** Everything a burst of events says, as one reply; undefined when there is nothing to say. */
export function reviewReply(notes: ThreadNote[], unlinked: string[], given: MentionOf): SlackMessage | undefined {
  const mention = mentionsWith(given);
  const lines = [
    ...notes.flatMap((note) => (note.kind === 'refresh' ? [] : [noteLine(note, mention)])),
    ...unlinked.map(linkHint),
  ];
  return lines.length > 0 ? plain(lines.join('\n')) : undefined;
}

export function linkConfirmation(login: string, slackUser: string): SlackMessage {
  return plain(
    `:link: GitHub ${strong(login)} is now you, ${userMention(slackUser)}: review requests and verdicts on pull requests will mention you.`,
  );
}

export function linkUsage(given?: string): SlackMessage {
  const what = given === undefined ? 'Say which GitHub login is yours' : `${code(given)} is not a GitHub login`;
  return plain(`${what}: ${code('/tugboat link <github-login>')}, like ${code('/tugboat link octocat')}.`);
}

/** How a claim to a GitHub login was proven, in the words told to whoever loses the link. */
const PROOF_WORDS: Record<'email' | 'code' | 'admin', string> = {
  email: 'that account’s public email on GitHub is their Slack email',
  code: 'a one-time code tugboat gave them was posted from that account',
  admin: 'an admin confirmed it',
};

const askAnAdmin = (admins: string[]) =>
  admins.length > 0
    ? `ask an admin (${listed(admins.map(userMention))})`
    : `ask whoever maintains ${code('tugboat.yml')}`;

/** `/tugboat link` for a login that `people:` in tugboat.yml maps: links do not apply to it. */
export function linkSetInConfig(login: string, configuredAs: string, caller: string): SlackMessage {
  if (configuredAs === caller)
    return plain(
      `:link: ${code('tugboat.yml')} already maps GitHub ${strong(login)} to you: there is nothing to link.`,
    );
  return plain(
    `${code('tugboat.yml')} maps GitHub ${strong(login)} to ${userMention(configuredAs)}, and it wins over any link, so nothing changed. If that is wrong, ask whoever maintains it to change ${code('people:')}.`,
  );
}

export const linkAlreadyYours = (login: string): SlackMessage =>
  plain(`:link: GitHub ${strong(login)} is already linked to you.`);

export const linkProvenByEmail = (login: string, slackUser: string): SlackMessage =>
  plain(`${linkConfirmation(login, slackUser).text} (Proven: its public email on GitHub is your Slack email.)`);

/** What to do to prove a claim: post the code as that GitHub login; when someone else holds the link, why it did not move. */
export function linkCodeInstructions(claim: {
  login: string;
  code: string;
  ttlMinutes: number;
  linkedTo?: string;
  repos: string[];
  admins: string[];
}): SlackMessage {
  const repos = claim.repos.slice(0, 5).map((repo) => code(repo));
  const where = `on any pull request or issue in a repository tugboat watches (${listed(claim.repos.length > 5 ? [...repos, 'others'] : repos)})`;
  const post = `comment ${code(`tugboat-link ${claim.code}`)} ${where} while signed in to GitHub as ${strong(claim.login)}, within ${claim.ttlMinutes} minutes`;
  if (claim.linkedTo) {
    return plain(
      `GitHub ${strong(claim.login)} is already linked to ${userMention(claim.linkedTo)}, so it was not linked to you. If it is yours, ${post}: the link then moves to you and ${userMention(claim.linkedTo)} is told. Or ${askAnAdmin(claim.admins)} to run ${code(`/tugboat link ${claim.login} @you`)}.`,
    );
  }
  return plain(
    `:key: To prove GitHub ${strong(claim.login)} is yours, ${post}. tugboat then links it and tells you here. (Or make your Slack email your public email on GitHub and run ${code(`/tugboat link ${claim.login}`)} again.)`,
  );
}

/** A direct message: the code was posted, the link is made. */
export const linkedByCode = (login: string, slackUser: string): SlackMessage =>
  plain(`${linkConfirmation(login, slackUser).text} (Proven: your code was posted from that account.)`);

/** A direct message to whoever held a link that a proven claim took over. */
export const linkMovedAway = (login: string, to: string, proof: keyof typeof PROOF_WORDS): SlackMessage =>
  plain(
    `:warning: GitHub ${strong(login)} is no longer linked to you: ${userMention(to)} proved it is theirs (${PROOF_WORDS[proof]}). If that is wrong, ask an admin.`,
  );

export const linkCodeExpired = (login: string): SlackMessage =>
  plain(
    `The code posted from GitHub ${strong(login)} had expired, so nothing was linked. Run ${code(`/tugboat link ${login}`)} for a new one.`,
  );

export const linkCodeFromWrongLogin = (login: string, postedBy: string): SlackMessage =>
  plain(
    `Your code for GitHub ${strong(login)} was posted by ${strong(postedBy)}, so nothing was linked: only ${strong(login)} can prove it is theirs. Post it again while signed in as ${strong(login)}; it still works until it expires.`,
  );

/** The admin's answer to `/tugboat link <login> @person`. */
export const linkConfirmedByAdmin = (login: string, slackUser: string, previous: string | undefined): SlackMessage =>
  plain(
    `:link: GitHub ${strong(login)} is now linked to ${userMention(slackUser)}.${previous ? ` It was linked to ${userMention(previous)}, who is told.` : ''}`,
  );

/** A direct message to the person an admin linked. */
export const linkedByAdmin = (login: string, admin: string): SlackMessage =>
  plain(
    `:link: ${userMention(admin)} linked GitHub ${strong(login)} to you: review requests and verdicts on pull requests will mention you. If it is not yours, tell them.`,
  );

export const linkAdminsOnly = (admins: string[]): SlackMessage =>
  plain(
    `Only an admin can link a GitHub login to someone else; ${askAnAdmin(admins)}. To link yourself: ${code('/tugboat link <github-login>')}.`,
  );
