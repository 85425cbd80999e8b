import { afterEach, describe, expect, it } from 'vitest';
import { command } from '../helpers/deploys.ts';
import type { Harness } from '../helpers/harness.ts';
import { deliver, pullRequestPayload, replies, startReviewHarness } from '../helpers/reviews.ts';
import { storeBackends } from '../helpers/stores.ts';

for (const backend of storeBackends) {
  describe(`/tugboat link on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    /** `/tugboat link …` typed in Slack, over HTTP. */
    const run = (userId: string, args: string[]) => command(h, userId, ['/tugboat link', ...args].join(' '));

    it('links the caller to a GitHub login once proven, confirms it, and later review pings mention them', async () => {
      h = await startReviewHarness({ backend });
      // Unproven, a claim links nothing (test/security/link-claims.test.ts has the ways to prove one).
      expect((await run('U0ZED', ['@Zed-Dev']))[0]).toMatch(
        /^:key: To prove GitHub \*Zed-Dev\* is yours, comment `tugboat-link [0-9A-Z]{8}`/,
      );
      expect(await h.db.store.query('select 1 from people_links')).toEqual([]);

      h.githubApi.addUser({ login: 'Zed-Dev', email: 'zed@example.com' });
      h.slackApi.addUser({ id: 'U0ZED', name: 'zed', email: 'zed@example.com' });
      expect(await run('U0ZED', ['@Zed-Dev'])).toEqual([
        ':link: GitHub *Zed-Dev* is now you, <@U0ZED>: review requests and verdicts on pull requests will mention you. (Proven: its public email on GitHub is your Slack email.)',
      ]);
      await deliver(h, 'pull_request', pullRequestPayload('opened', { number: 40, reviewers: ['zed-dev'] }));
      expect(replies(h)).toEqual([':eyes: *octocat* asked <@U0ZED> for a review.']);
    });

    it('refuses what is not a GitHub login, and says when tugboat.yml maps the login to someone else', async () => {
      h = await startReviewHarness({ backend });
      const usage = '`/tugboat link &lt;github-login&gt;`, like `/tugboat link octocat`.';
      expect(await run('U0ZED', [])).toEqual([`Say which GitHub login is yours: ${usage}`]);
      expect(await run('U0ZED', ['-zed'])).toEqual([`\`-zed\` is not a GitHub login: ${usage}`]);
      expect(await run('U0ZED', ['zed', 'dev'])).toEqual([`\`zed dev\` is not a GitHub login: ${usage}`]);
      expect(await run('U0ZED', ['a'.repeat(40)])).toHaveLength(1);
      expect(await h.db.store.query('select 1 from people_links')).toEqual([]);
      expect((await run('U0ZED', ['bob']))[0]).toContain('maps GitHub *bob* to <@U0BOB>, and it wins');
    });
  });
}
