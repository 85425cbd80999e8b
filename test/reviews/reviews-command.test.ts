import { afterEach, describe, expect, it } from 'vitest';
import { reviews } from '../../commands/tugboat-reviews.ts';
import { linkPerson } from '../../src/reviews/index.ts';
import { TestClock } from '../helpers/clock.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { storeBackends } from '../helpers/stores.ts';
import { REVIEWS_CONFIG, trackPull } from './tracked.ts';

const HOUR = 3_600_000;

for (const backend of storeBackends) {
  describe(`/tugboat reviews on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    async function ask(userId: string): Promise<string[]> {
      const answers: string[] = [];
      await reviews(
        { text: 'reviews', userId, channelId: 'C0RANDOM' },
        async (message) => void answers.push(message.text),
        h.tugboat.deps,
      );
      return answers;
    }

    const ago = (hours: number) => new Date(h.clock.now().getTime() - hours * HOUR);

    it('lists the reviews waiting on every GitHub login of the caller oldest first, then their PRs waiting on their changes', async () => {
      h = await startHarness({ backend, configYaml: REVIEWS_CONFIG, clock: new TestClock() });
      await linkPerson(h.tugboat.deps, 'bob-old', 'U0BOB', 'admin');
      await linkPerson(h.tugboat.deps, 'octocat', 'U0BOB', 'admin'); // the config maps octocat to U0ALICE, and wins
      await trackPull(h, { number: 61, title: 'Newer', reviewers: [{ login: 'bob', requestedAt: ago(2) }] });
      await trackPull(h, { number: 62, title: 'Older', reviewers: [{ login: 'bob-old', requestedAt: ago(75) }] });
      await trackPull(h, { number: 63, state: 'draft', reviewers: [{ login: 'bob', requestedAt: ago(30) }] });
      await trackPull(h, { number: 64, reviewers: [{ login: 'dana', requestedAt: ago(30) }] });
      await trackPull(h, { number: 65, reviewers: [{ login: 'bob', requestedAt: ago(30) }], authorOwesSince: ago(3) });
      await trackPull(h, {
        number: 66,
        title: 'Mine',
        author: 'bob',
        reviewers: [{ login: 'dana', state: 'changes_requested', requestedAt: ago(9) }],
        authorOwesSince: ago(5),
      });
      await trackPull(h, {
        number: 67,
        author: 'octocat',
        reviewers: [{ login: 'dana', state: 'changes_requested', requestedAt: ago(9) }],
        authorOwesSince: ago(5),
      });

      const [answer] = await ask('U0BOB');
      expect(answer.split('\n')).toEqual([
        '*Waiting for your review*',
        '• *<https://github.com/acme/api/pull/62|acme/api#62>* Older: waiting 3d 3h',
        '• *<https://github.com/acme/api/pull/61|acme/api#61>* Newer: waiting 2h',
        '*Waiting for your changes*',
        '• *<https://github.com/acme/api/pull/66|acme/api#66>* Mine: waiting 5h',
      ]);
    });

    it('says when nothing waits, and asks for a link when it does not know the caller’s GitHub login', async () => {
      h = await startHarness({ backend, configYaml: REVIEWS_CONFIG });
      expect(await ask('U0DANA')).toEqual(['Nothing is waiting on you. :tada:']);
      expect(await ask('U0STRANGER')).toEqual([expect.stringContaining('`/tugboat link &lt;github-login&gt;`')]);
    });
  });
}
