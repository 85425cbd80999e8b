import { describe, expect, it } from 'vitest';
import { foldNotes, type ThreadNote } from '../../src/reviews/index.ts';

describe('folding a burst of thread notes', () => {
  it('merges review requests by the same person where the first one was, and drops refreshes', () => {
    const burst: ThreadNote[] = [
      { kind: 'requested', by: 'octocat', reviewers: ['bob'] },
      { kind: 'refresh' },
      { kind: 'draft', by: 'octocat' },
      { kind: 'requested', by: 'carol', reviewers: ['dana'] },
      { kind: 'requested', by: 'octocat', reviewers: ['carol', 'bob'] },
    ];
    expect(foldNotes(burst)).toEqual([
      { kind: 'requested', by: 'octocat', reviewers: ['bob', 'carol'] },
      { kind: 'draft', by: 'octocat' },
      { kind: 'requested', by: 'carol', reviewers: ['dana'] },
    ]);
    expect(burst[0]).toEqual({ kind: 'requested', by: 'octocat', reviewers: ['bob'] });
  });
});
