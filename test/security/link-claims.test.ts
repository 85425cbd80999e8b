import { afterEach, describe, expect, it } from 'vitest';
import { command } from '../helpers/deploys.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { commentPayload, deliver, pullRequestPayload, replies, REVIEWS_TEST_CONFIG } from '../helpers/reviews.ts';
import { storeBackends } from '../helpers/stores.ts';

const CONFIG = REVIEWS_TEST_CONFIG.replace(
  'timezone: America/New_York',
  'timezone: America/New_York\nadmins: [U0ADMIN]',
);
const MINUTE = 60_000;

for (const backend of storeBackends) {
  describe(`/tugboat link needs proof, on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    async function start() {
      h = await startHarness({ backend, configYaml: CONFIG, reviews: { foldMs: 20 } });
      for (const [id, name] of [
        ['U0ZED', 'zed'],
        ['U0ZED2', 'zed-again'],
        ['U0EVE', 'eve'],
        ['U0ADMIN', 'admin'],
      ])
        h.slackApi.addUser({ id, name, email: `${name}@example.com` });
    }

    /** `/tugboat link …` typed in Slack, over HTTP; the caller's ephemeral answers. */
    const link = (userId: string, args: string) => command(h, userId, `/tugboat link ${args}`);
    const codeIn = (answer: string) => /`tugboat-link ([0-9A-Z]{8})`/.exec(answer)?.[1] ?? '';
    const links = () =>
      h.db.store.query<{ github_login: string; slack_user: string; source: string }>(
        'select github_login, slack_user, source from people_links order by github_login',
      );
    /** What tugboat told a Slack user in their DM, oldest first. */
    const told = (userId: string) =>
      h.slackApi.channels().some((channel) => channel.is_im && channel.user === userId)
        ? h.slackApi.messages(userId).map((m) => String(m.text))
        : [];
    let commentId = 9500;
    const comment = (by: string, body: string, options: { repo?: string; onIssue?: boolean } = {}) =>
      deliver(
        h,
        'issue_comment',
        commentPayload({ number: 50, by, body, id: commentId++, author: by, association: 'NONE', ...options }),
      );

    it('links by a code posted from the GitHub account claimed, on an issue or pull request of a watched repo, and pings follow', async () => {
      await start();
      const [answer] = await link('U0ZED', 'Zed-Dev');
      expect(answer).toMatch(
        /^:key: To prove GitHub \*Zed-Dev\* is yours, comment `tugboat-link [0-9A-Z]{8}` on any pull request or issue in a repository tugboat watches \(`acme\/api` and `acme\/web`\) while signed in to GitHub as \*Zed-Dev\*, within 30 minutes\. /,
      );
      const code = codeIn(answer);
      expect(await links()).toEqual([]);

      await comment('zed-dev', `tugboat-link ${code}`, { repo: 'acme/elsewhere' });
      expect(await links()).toEqual([]);
      await comment('zed-dev', `Linking my Slack: tugboat-link ${code.toLowerCase()}`, { onIssue: true });

      expect(await links()).toEqual([{ github_login: 'zed-dev', slack_user: 'U0ZED', source: 'code' }]);
      expect(told('U0ZED')).toEqual([
        ':link: GitHub *zed-dev* is now you, <@U0ZED>: review requests and verdicts on pull requests will mention you. (Proven: your code was posted from that account.)',
      ]);
      await deliver(h, 'pull_request', pullRequestPayload('opened', { number: 40, reviewers: ['zed-dev'] }));
      expect(replies(h)).toEqual([':eyes: *octocat* asked <@U0ZED> for a review.']);
      expect(await link('U0ZED', 'zed-dev')).toEqual([':link: GitHub *zed-dev* is already linked to you.']);
    });

    it('links nothing when the code comes from another GitHub account, and tells the claimant why', async () => {
      await start();
      const code = codeIn((await link('U0EVE', 'zed-dev'))[0]);
      await comment('eve', `tugboat-link ${code}`);

      expect(await links()).toEqual([]);
      expect(told('U0EVE')).toEqual([
        'Your code for GitHub *zed-dev* was posted by *eve*, so nothing was linked: only *zed-dev* can prove it is theirs. Post it again while signed in as *zed-dev*; it still works until it expires.',
      ]);
    });

    it('refuses an expired code and says to ask for a new one', async () => {
      await start();
      const code = codeIn((await link('U0ZED', 'zed-dev'))[0]);
      h.clock.advance(31 * MINUTE);
      await comment('zed-dev', `tugboat-link ${code}`);

      expect(await links()).toEqual([]);
      expect(told('U0ZED')).toEqual([
        'The code posted from GitHub *zed-dev* had expired, so nothing was linked. Run `/tugboat link zed-dev` for a new one.',
      ]);
      await comment('zed-dev', `tugboat-link ${code}`);
      expect(told('U0ZED')).toHaveLength(1);
    });

    it('refuses a claim on a login linked to someone else, says what to do, and moves it only on proof', async () => {
      await start();
      await comment('zed-dev', `tugboat-link ${codeIn((await link('U0ZED', 'zed-dev'))[0])}`);

      const [refusal] = await link('U0EVE', 'zed-dev');
      expect(refusal).toMatch(
        /^GitHub \*zed-dev\* is already linked to <@U0ZED>, so it was not linked to you\. If it is yours, comment `tugboat-link [0-9A-Z]{8}` on any pull request or issue in a repository tugboat watches \(`acme\/api` and `acme\/web`\) while signed in to GitHub as \*zed-dev\*, within 30 minutes: the link then moves to you and <@U0ZED> is told\. Or ask an admin \(<@U0ADMIN>\) to run `\/tugboat link zed-dev @you`\.$/,
      );
      await comment('eve', `tugboat-link ${codeIn(refusal)}`);
      expect(await links()).toEqual([{ github_login: 'zed-dev', slack_user: 'U0ZED', source: 'code' }]);

      // The same person on a second Slack account proves it: the link moves, and the first account hears of it.
      await comment('zed-dev', `tugboat-link ${codeIn((await link('U0ZED2', 'zed-dev'))[0])}`);
      expect(await links()).toEqual([{ github_login: 'zed-dev', slack_user: 'U0ZED2', source: 'code' }]);
      expect(told('U0ZED').at(-1)).toBe(
        ':warning: GitHub *zed-dev* is no longer linked to you: <@U0ZED2> proved it is theirs (a one-time code tugboat gave them was posted from that account). If that is wrong, ask an admin.',
      );
      // Eve's pending code died with the link being settled.
      await comment('zed-dev', `tugboat-link ${codeIn(refusal)}`);
      expect((await links())[0].slack_user).toBe('U0ZED2');
    });

    it('links at once when the GitHub account’s public email is the caller’s Slack email', async () => {
      await start();
      h.githubApi.addUser({ login: 'zed-dev', email: 'zed@example.com' });
      h.githubApi.addUser({ login: 'eve-dev', email: 'someone-else@example.com' });

      expect(await link('U0ZED', 'zed-dev')).toEqual([
        ':link: GitHub *zed-dev* is now you, <@U0ZED>: review requests and verdicts on pull requests will mention you. (Proven: its public email on GitHub is your Slack email.)',
      ]);
      expect(await links()).toEqual([{ github_login: 'zed-dev', slack_user: 'U0ZED', source: 'email' }]);
      expect((await link('U0EVE', 'zed-dev'))[0]).toContain(
        'is already linked to <@U0ZED>, so it was not linked to you',
      );
      expect((await link('U0EVE', 'eve-dev'))[0]).toMatch(/^:key: To prove GitHub \*eve-dev\* is yours/);
      expect(await links()).toEqual([{ github_login: 'zed-dev', slack_user: 'U0ZED', source: 'email' }]);
    });

    it('lets an admin link a login to someone, telling them and whoever held it; no one else may', async () => {
      await start();
      await comment('zed-dev', `tugboat-link ${codeIn((await link('U0EVE', 'zed-dev'))[0])}`);
      expect(await links()).toEqual([{ github_login: 'zed-dev', slack_user: 'U0EVE', source: 'code' }]);

      expect(await link('U0EVE', 'zed-dev <@U0EVE|eve>')).toEqual([
        'Only an admin can link a GitHub login to someone else; ask an admin (<@U0ADMIN>). To link yourself: `/tugboat link &lt;github-login&gt;`.',
      ]);
      expect(await link('U0ADMIN', 'zed-dev <@U0ZED|zed>')).toEqual([
        ':link: GitHub *zed-dev* is now linked to <@U0ZED>. It was linked to <@U0EVE>, who is told.',
      ]);

      expect(await links()).toEqual([{ github_login: 'zed-dev', slack_user: 'U0ZED', source: 'admin' }]);
      expect(told('U0ZED')).toEqual([
        ':link: <@U0ADMIN> linked GitHub *zed-dev* to you: review requests and verdicts on pull requests will mention you. If it is not yours, tell them.',
      ]);
      expect(told('U0EVE').at(-1)).toBe(
        ':warning: GitHub *zed-dev* is no longer linked to you: <@U0ZED> proved it is theirs (an admin confirmed it). If that is wrong, ask an admin.',
      );
      expect(await link('U0ADMIN', 'bob <@U0ZED>')).toEqual([
        '`tugboat.yml` maps GitHub *bob* to <@U0BOB>, and it wins over any link, so nothing changed. If that is wrong, ask whoever maintains it to change `people:`.',
      ]);
      expect(await link('U0ADMIN', 'zed-dev @zed')).toEqual([
        '`zed-dev @zed` is not a GitHub login: `/tugboat link &lt;github-login&gt;`, like `/tugboat link octocat`.',
      ]);
    });
  });
}
