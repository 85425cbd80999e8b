import { Webhooks } from '@octokit/webhooks';
import { verifySlackRequest } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { githubSignature, githubWebhookHeaders, slackSignature, slackSignedHeaders } from '../../src/fakes/signing.ts';

// The example in docs.slack.dev/authentication/verifying-requests-from-slack (PLATFORM.md §1.1).
const SLACK_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const SLACK_TIMESTAMP = 1531420618;
const SLACK_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
  '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
  '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
  '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';

describe('Slack request signing', () => {
  it('matches the documented test vector', () => {
    expect(slackSignature(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
    expect(slackSignature(SLACK_SECRET, SLACK_TIMESTAMP, Buffer.from(SLACK_BODY))).toBe(
      slackSignature(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY),
    );
  });

  it('produces headers that Bolt verifies', () => {
    const headers = slackSignedHeaders('s3cret', '{"type":"event_callback"}', 'application/json');

    expect(headers['Content-Type']).toBe('application/json');
    expect(Number(headers['X-Slack-Request-Timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
    expect(() =>
      verifySlackRequest({
        signingSecret: 's3cret',
        body: '{"type":"event_callback"}',
        headers: {
          'x-slack-signature': headers['X-Slack-Signature'],
          'x-slack-request-timestamp': Number(headers['X-Slack-Request-Timestamp']),
        },
      }),
    ).not.toThrow();
  });
});

describe('GitHub webhook signing', () => {
  it('matches the documented test vector', () => {
    expect(githubSignature("It's a Secret to Everybody", 'Hello, World!')).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  it('sends the headers GitHub sends, with a signature @octokit/webhooks accepts', async () => {
    const body = JSON.stringify({ zen: 'Design for failure.' });
    const headers = githubWebhookHeaders({ secret: 'hook-secret', event: 'ping', deliveryId: 'd-1', body, hookId: 42 });

    expect(headers).toMatchObject({
      'Content-Type': 'application/json',
      'X-GitHub-Event': 'ping',
      'X-GitHub-Delivery': 'd-1',
      'X-GitHub-Hook-ID': '42',
      'User-Agent': expect.stringMatching(/^GitHub-Hookshot\//),
    });
    expect(await new Webhooks({ secret: 'hook-secret' }).verify(body, headers['X-Hub-Signature-256'])).toBe(true);
  });
});
