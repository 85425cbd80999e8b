import { afterEach, describe, expect, it } from 'vitest';
import { deliveryRow } from '../helpers/deploys.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import {
  pullRequestPayload,
  replies,
  REVIEW_CHANNEL,
  REVIEWS_TEST_CONFIG,
  reviewPayload,
  roots,
} from '../helpers/reviews.ts';
import { storeBackends } from '../helpers/stores.ts';
import { waitUntil } from '../helpers/wait.ts';

/**
 * The first write of a thread's notes fails, as if the process died right before it: what the
 * handler changed before that point is all another attempt finds. (A sequence, not a table, counts
 * the writes: it is not rolled back with the failing statement.)
 */
const FAIL_FIRST_NOTES = `
create sequence chaos_note_writes;
create function chaos_fail_first_notes() returns trigger language plpgsql as $$
begin
  if nextval('chaos_note_writes') = 1 then raise exception 'the process died before writing its notes'; end if;
  return null;
end $$;
create trigger chaos_fail_first_notes before insert on review_thread_notes for each statement execute function chaos_fail_first_notes();
`;

for (const backend of storeBackends) {
  describe(`review events handled again after a failure part-way, on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    for (const { event, setup, payload, reply } of [
      {
        event: 'a review request',
        setup: [],
        payload: () =>
          [
            'pull_request',
            pullRequestPayload('review_requested', { number: 405, reviewers: ['bob'] }, { reviewer: 'bob' }),
          ] as const,
        reply: ':eyes: *octocat* asked <@U0BOB> for a review.',
      },
      {
        event: 'an approval',
        setup: [['pull_request', pullRequestPayload('opened', { number: 408, reviewers: ['bob'] })] as const],
        payload: () =>
          ['pull_request_review', reviewPayload({ number: 408, reviewer: 'bob', state: 'approved', id: 601 })] as const,
        reply:
          ':white_check_mark: *bob* <https://github.com/acme/api/pull/408#pullrequestreview-601|approved> this, <@U0ALICE>.',
      },
    ]) {
      it(`posts ${event} when its first attempt died after the change and before its notes`, async () => {
        h = await startHarness({
          backend,
          configYaml: REVIEWS_TEST_CONFIG,
          reviews: { foldMs: 20 },
          inbox: { retryBaseMs: 100, pollMs: 20 },
        });
        h.tugboat.startJobs();
        for (const [name, body] of setup) {
          await h.github.deliver(name, body);
          await h.tugboat.settle();
        }
        await h.tugboat.deps.store.exec(FAIL_FIRST_NOTES);

        const [name, body] = payload();
        expect((await h.github.deliver(name, body, { deliveryId: 'delivery-1' })).status).toBe(202);

        await waitUntil('the retry is done', async () => (await deliveryRow(h, 'delivery-1'))?.status === 'done');
        await h.tugboat.settle();
        expect(await deliveryRow(h, 'delivery-1')).toEqual({ status: 'done', attempts: 2 });
        expect(roots(h)).toHaveLength(1);
        expect(replies(h).at(-1)).toBe(reply);
        expect(replies(h).filter((text) => text === reply)).toHaveLength(1);
        expect(h.slackApi.messages(REVIEW_CHANNEL)).toHaveLength(1);
      });
    }
  });
}
