export { isBusinessTime, nextBusinessDayStart } from './business-hours.ts';
export { linkCodeIn, MAX_LOGINS_PER_COMMENT, readyForReviewLogins, saysResolved } from './comments.ts';
export {
  askedForReviewInComment,
  closed,
  convertedToDraft,
  markedReady,
  openedForReview,
  pushed,
  reopened,
  reviewRequested,
  reviewRequestRemoved,
  reviewSubmitted,
  saidResolved,
} from './events.ts';
export type { ClaimOutcome, RedeemOutcome } from './link-claims.ts';
export { claimLogin, confirmLink, LINK_CODE_TTL_MS, redeemCode, tellSlackUser } from './link-claims.ts';
export { resolveMentions } from './mentions.ts';
export type { PendingNote, ThreadNote } from './notes.ts';
export { addNotes, claimMarks, foldNotes, pendingNotes, pingedIn, takeNotes, threadsWithNotesBefore } from './notes.ts';
export type { NudgeTarget, SnoozeChoice } from './nudges.ts';
export { claimNudge, dueNudges, SNOOZE_CHOICES, snoozeEnd, snoozeNudge } from './nudges.ts';
export { configuredSlackUser, githubLoginsOf, linkPerson, slackUserFor } from './people.ts';
export type { PullRequestKey, PullRequestSnapshot, PullRequestState, TrackedPullRequest } from './pull-requests.ts';
export {
  claimRoot,
  firstSightOfUntrackedRepo,
  getPullRequest,
  keyOf,
  refreshPullRequest,
  repoHasService,
  reviewHomeOf,
  setThreadTs,
  trackPullRequest,
} from './pull-requests.ts';
export { Recipients, slackTimeZone } from './recipients.ts';
export type { OnRepaired, RepairedPullRequest } from './reconcile.ts';
export { reconcilePullRequests } from './reconcile.ts';
export type { Reviewer, ReviewerState, Verdict } from './reviewers.ts';
export { listReviewers } from './reviewers.ts';
export type { Wait } from './waiting.ts';
export { waitsOn } from './waiting.ts';
