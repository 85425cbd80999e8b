import type { GitHub } from './client.ts';

export type PullState = 'open' | 'draft' | 'merged' | 'closed';
export type ReviewVerdict = 'approved' | 'changes_requested' | 'commented';

/** A pull request as GitHub has it now, for comparing with what tugboat tracks. */
export interface PullRequestOnGitHub {
  state: PullState;
  title: string;
  additions: number;
  deletions: number;
  headSha: string;
  /** Whose review is requested, lower case: logins, and teams as `owner/slug`. */
  requested: string[];
  /**
   * Each reviewer's standing review (lower-case login), as GitHub counts it: the latest approval
   * or request for changes, else the latest comment. The author's own replies are left out.
   */
  standingReviews: Map<string, { verdict: ReviewVerdict; submittedAt: Date }>;
}

const VERDICTS: Record<string, ReviewVerdict> = {
  APPROVED: 'approved',
  CHANGES_REQUESTED: 'changes_requested',
  COMMENTED: 'commented',
};

function pullState(pull: { state: string; draft?: boolean; merged: boolean }): PullState {
  if (pull.state === 'closed') return pull.merged ? 'merged' : 'closed';
  return pull.draft ? 'draft' : 'open';
}

/** Three calls: the pull request, its requested reviewers, and its reviews (all pages). */
export async function fetchPullRequestOnGitHub(
  github: GitHub,
  repo: string,
  number: number,
): Promise<PullRequestOnGitHub> {
  const [owner, name] = repo.split('/');
  const where = { owner, repo: name, pull_number: number };
  const [{ data: pull }, { data: requested }, reviews] = await Promise.all([
    github.octokit.pulls.get(where),
    github.octokit.pulls.listRequestedReviewers(where),
    github.octokit.paginate(github.octokit.pulls.listReviews, { ...where, per_page: 100 }),
  ]);
  const author = pull.user.login.toLowerCase();
  const standingReviews: PullRequestOnGitHub['standingReviews'] = new Map();
  for (const review of reviews) {
    const login = review.user?.login.toLowerCase();
    const verdict = VERDICTS[review.state];
    // Listed oldest first. Pending and dismissed reviews carry no verdict.
    if (!login || login === author || !verdict || !review.submitted_at) continue;
    const standing = standingReviews.get(login);
    if (verdict === 'commented' && standing && standing.verdict !== 'commented') continue;
    standingReviews.set(login, { verdict, submittedAt: new Date(review.submitted_at) });
  }
  return {
    state: pullState(pull),
    title: pull.title,
    additions: pull.additions,
    deletions: pull.deletions,
    headSha: pull.head.sha,
    requested: [
      ...requested.users.map((user) => user.login),
      ...requested.teams.map((team) => `${owner}/${team.slug}`),
    ].map((name) => name.toLowerCase()),
    standingReviews,
  };
}
