import type { Deps } from '../deps.ts';
import {
  addNotes,
  claimMarks,
  claimRoot,
  foldNotes,
  getPullRequest,
  listReviewers,
  type PendingNote,
  pendingNotes,
  pingedIn,
  type PullRequestKey,
  resolveMentions,
  setThreadTs,
  takeNotes,
  type ThreadNote,
  threadsWithNotesBefore,
  type TrackedPullRequest,
} from '../reviews/index.ts';
import { reviewReply, reviewRoot } from './render/reviews.ts';
import type { SlackMessage } from './render/format.ts';
import type { Queryable } from '../store/index.ts';

/** What posting review threads uses: the reviews' people lookups need GitHub and Slack. */
export type ThreadDeps = Pick<Deps, 'config' | 'github' | 'log' | 'now' | 'slack' | 'store'>;

/** How long a process waits for the rest of a burst (ten review requests, fifty pushes) before posting it as one reply. */
const DEFAULT_FOLD_MS = 1500;
/** A root claimed this long ago and still not posted was claimed by a process that died (a busy channel can hold a post back for minutes). */
const ROOT_CLAIM_TTL_MS = 10 * 60_000;
/** Notes this old were written by a process that died before flushing them. */
const ORPHANED_NOTE_MS = 15_000;
/** How many fold windows a process waits for another one to post the root before leaving its notes to the periodic flush. */
const ROOT_WAIT_WINDOWS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The mark of a thread whose readers were told how `/tugboat link` makes a login mentionable. */
const HINT = 'hint:';

/**
 * The threads of pull requests, as this process sees them: what is told is written down as
 * pending notes, and after the fold window every pending note of that pull request (from
 * this process or another) is posted as one reply, with the root updated once.
 */
export class ReviewThreads {
  readonly #due = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: ThreadDeps,
    private readonly foldMs = DEFAULT_FOLD_MS,
  ) {}

  /** Resolves once the notes are posted (or left for the periodic flush). */
  async tell(key: PullRequestKey, notes: ThreadNote[]): Promise<void> {
    if (notes.length === 0) return;
    await addNotes(this.deps.store, key, notes, this.deps.now());
    await this.#afterFold(key);
  }

  /**
   * Makes a change and writes down what it says in one transaction, then posts it as `tell` does.
   * The changes say something only the first time (a second run of the same fact says nothing):
   * a process that died between the change and its notes would leave the thread silent for good.
   * `alongside` runs once the notes are written (when there are any), while they wait to be posted.
   */
  async record(
    key: PullRequestKey,
    change: (tx: Queryable, now: Date) => Promise<ThreadNote[]>,
    alongside?: () => Promise<unknown>,
  ): Promise<void> {
    const notes = await this.deps.store.transaction(async (tx) => {
      const now = this.deps.now();
      const said = await change(tx, now);
      await addNotes(tx, key, said, now);
      return said;
    });
    if (notes.length > 0) await Promise.all([this.#afterFold(key), alongside?.()]);
  }

  /** Flushes the pull request's notes after the fold window, once for everything told meanwhile. */
  #afterFold(key: PullRequestKey): Promise<void> {
    const id = `${key.repo}#${key.number}`;
    let due = this.#due.get(id);
    if (!due) {
      due = sleep(this.foldMs).then(() => {
        this.#due.delete(id);
        return this.#flush(key);
      });
      this.#due.set(id, due);
    }
    return due;
  }

  async #flush(key: PullRequestKey): Promise<void> {
    for (let window = 1; !(await flushThread(this.deps, key)) && window < ROOT_WAIT_WINDOWS; window++)
      await sleep(this.foldMs);
  }
}

/** Another process took some of the notes read: read them again, this many times at most. */
const MAX_TAKE_TRIES = 3;

/**
 * Posts a pull request's pending notes as one reply, after posting its root if nobody has.
 * False when another process is posting the root right now: replies wait for it.
 */
export async function flushThread(deps: ThreadDeps, key: PullRequestKey): Promise<boolean> {
  const pr = await getPullRequest(deps.store, key);
  if (!pr) return true;
  const root: { ts: string; text?: string } | undefined = pr.threadTs ? { ts: pr.threadTs } : await postRoot(deps, pr);
  if (!root) return false;
  for (let tries = 0; tries < MAX_TAKE_TRIES; tries++) {
    const pending = await pendingNotes(deps.store, key);
    if (pending.length === 0 && pr.threadTs) return true;
    if (await replyWith(deps, pr, root, pending)) return true;
  }
  return true;
}

/** Posts the notes as one reply and updates the root; false when another process took some of them first. */
async function replyWith(
  deps: ThreadDeps,
  pr: TrackedPullRequest,
  root: { ts: string; text?: string },
  pending: PendingNote[],
): Promise<boolean> {
  // Read again: the notes were written after the changes they report.
  const current = (await getPullRequest(deps.store, pr)) ?? pr;
  const reviewers = await listReviewers(deps.store, pr);
  const notes = foldNotes(pending.map((note) => note.note));
  const mentions = await resolveMentions(deps, [
    current.author,
    ...reviewers.map((r) => r.reviewer),
    ...notes.flatMap(pingedIn),
  ]);
  // The notes are taken in the transaction that writes their reply to the outbox, so Slack failing now loses nothing.
  const reply = await deps.store.transaction(async (tx) => {
    if (!(await takeNotes(tx, pending))) return 'taken';
    const hints = await claimMarks(
      tx,
      pr,
      mentions.unmapped.map((login) => HINT + login),
      deps.now(),
    );
    const message = reviewReply(
      notes,
      hints.map((mark) => mark.slice(HINT.length)),
      mentions.usersOf,
    );
    return (
      message &&
      deps.slack.writePost(tx, { channel: current.channel, thread_ts: root.ts, ...message, unfurl_links: false })
    );
  });
  if (reply === 'taken') return false;
  // The ping first: the root's edit shares the channel's one-a-second queue and can wait.
  if (reply) await deps.slack.delivered(reply);
  const updated = reviewRoot(current, reviewers, mentions.usersOf);
  if (updated.text !== root.text) await updateRoot(deps, current.channel, root.ts, updated);
  return true;
}

async function postRoot(deps: ThreadDeps, pr: TrackedPullRequest): Promise<{ ts: string; text: string } | undefined> {
  const reviewers = await listReviewers(deps.store, pr);
  const mentions = await resolveMentions(deps, [pr.author, ...reviewers.map((r) => r.reviewer)]);
  const message = reviewRoot(pr, reviewers, mentions.usersOf);
  // The claim and the post are one transaction: a process that dies after claiming the root has
  // written it to the outbox, which any replica sends and records as the thread's root.
  const queued = await deps.store.transaction(async (tx) =>
    (await claimRoot(tx, pr, deps.now(), ROOT_CLAIM_TTL_MS))
      ? deps.slack.writePost(
          tx,
          { channel: pr.channel, ...message, unfurl_links: false },
          { pullRequest: { repo: pr.repo, number: pr.number } },
        )
      : undefined,
  );
  if (!queued) return undefined;
  const posted = await deps.slack.delivered(queued);
  await setThreadTs(deps.store, pr, posted.ts!);
  return { ts: posted.ts!, text: message.text };
}

/** A root that cannot be updated (deleted, say) must not keep the replies from being posted. */
async function updateRoot(deps: ThreadDeps, channel: string, ts: string, message: SlackMessage): Promise<void> {
  await deps.slack
    .update({ channel, ts, ...message })
    .catch((error) => deps.log.warn({ err: error, channel, ts }, 'could not update a review thread root'));
}

/** For a periodic job: posts the notes of processes that died before flushing them. */
export async function flushOrphanedNotes(deps: ThreadDeps): Promise<void> {
  for (const key of await threadsWithNotesBefore(deps.store, new Date(deps.now().getTime() - ORPHANED_NOTE_MS))) {
    await flushThread(deps, key).catch((error) =>
      deps.log.error({ err: error, ...key }, 'could not flush a review thread'),
    );
  }
}

/** Updates a pull request's root quietly (after the hourly reconcile repaired its rows). */
export async function refreshRoot(deps: ThreadDeps, key: PullRequestKey): Promise<void> {
  await addNotes(deps.store, key, [{ kind: 'refresh' }], deps.now());
  await flushThread(deps, key);
}
