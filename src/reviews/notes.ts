import type { Queryable } from '../store/index.ts';
import type { PullRequestKey } from './pull-requests.ts';
import type { Verdict } from './reviewers.ts';

/**
 * Something to say in a pull request's thread. `by`, `reviewer` in a review and the like
 * name who acted; the logins in `reviewers` (and a review's `author`) are the people pinged.
 * `refresh` says nothing: the root changed and is to be updated.
 */
export type ThreadNote =
  | { kind: 'requested'; by: string; reviewers: string[] }
  | { kind: 'request_removed'; by: string; reviewer: string }
  | { kind: 'ready'; by: string; reviewers: string[] }
  | { kind: 'draft'; by: string }
  | { kind: 'closed'; by: string; merged: boolean }
  | { kind: 'reopened'; by: string }
  | { kind: 'new_commits'; by: string; reviewers: string[] }
  | { kind: 'review'; reviewer: string; verdict: Verdict; url: string; author?: string }
  | { kind: 'ready_comment'; by: string; reviewers: string[]; url: string }
  | { kind: 'resolved'; by: string; reviewers: string[]; url: string }
  | { kind: 'refresh' };

/** The logins a note mentions (pings). */
export function pingedIn(note: ThreadNote): string[] {
  if ('reviewers' in note) return note.reviewers;
  if (note.kind === 'review' && note.author) return [note.author];
  return [];
}

type RequestedNote = Extract<ThreadNote, { kind: 'requested' }>;

/** One burst in as few lines as possible: review requests by the same person become one note; refreshes say nothing. */
export function foldNotes(notes: ThreadNote[]): ThreadNote[] {
  const folded: ThreadNote[] = [];
  const requestsBy = new Map<string, RequestedNote>();
  for (const note of notes) {
    if (note.kind === 'refresh') continue;
    if (note.kind !== 'requested') {
      folded.push(note);
      continue;
    }
    const earlier = requestsBy.get(note.by);
    if (earlier) {
      earlier.reviewers = [...new Set([...earlier.reviewers, ...note.reviewers])];
      continue;
    }
    const first = { ...note, reviewers: [...note.reviewers] };
    requestsBy.set(note.by, first);
    folded.push(first);
  }
  return folded;
}

export async function addNotes(db: Queryable, key: PullRequestKey, notes: ThreadNote[], now: Date): Promise<void> {
  if (notes.length === 0) return;
  await db.query(
    `insert into review_thread_notes (repo, number, note, created_at)
     select $1, $2, note, $4 from jsonb_array_elements($3::jsonb) with ordinality as t (note, position) order by position`,
    [key.repo, key.number, JSON.stringify(notes), now],
  );
}

export interface PendingNote {
  id: number;
  note: ThreadNote;
}

/** Every pending note of a pull request, oldest first. */
export async function pendingNotes(db: Queryable, key: PullRequestKey): Promise<PendingNote[]> {
  const rows = await db.query<{ id: string; note: ThreadNote }>(
    'select id, note from review_thread_notes where repo = $1 and number = $2 order by id',
    [key.repo, key.number],
  );
  return rows.map((row) => ({ id: Number(row.id), note: row.note }));
}

/**
 * Takes exactly these notes, or none when another process took any of them first (it posts
 * them). Inside the transaction that writes their reply to the outbox: a note is gone only
 * once its reply is on its way.
 */
export async function takeNotes(tx: Queryable, notes: PendingNote[]): Promise<boolean> {
  const ids = notes.map((note) => note.id);
  const locked = await tx.query('select id from review_thread_notes where id = any($1::bigint[]) for update', [ids]);
  if (locked.length !== ids.length) return false;
  await tx.query('delete from review_thread_notes where id = any($1::bigint[])', [ids]);
  return true;
}

/** Pull requests with notes written before `before`: their writer should have flushed them by now. */
export async function threadsWithNotesBefore(db: Queryable, before: Date): Promise<PullRequestKey[]> {
  return db.query<PullRequestKey>(
    'select distinct repo, number from review_thread_notes where created_at < $1 order by repo, number',
    [before],
  );
}

/** The marks (from `marks`) not yet made in this thread, now made: what is said once per thread. */
export async function claimMarks(db: Queryable, key: PullRequestKey, marks: string[], now: Date): Promise<string[]> {
  if (marks.length === 0) return [];
  const rows = await db.query<{ mark: string }>(
    `insert into review_thread_marks (repo, number, mark, created_at) select $1, $2, mark, $4 from unnest($3::text[]) as t (mark)
     on conflict (repo, number, mark) do nothing returning mark`,
    [key.repo, key.number, [...new Set(marks)], now],
  );
  const claimed = new Set(rows.map((row) => row.mark));
  return marks.filter((mark) => claimed.has(mark));
}
