import { createServer, type Server } from 'node:http';
import { createNodeMiddleware, Webhooks, type EmitterWebhookEvent } from '@octokit/webhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitHubSender } from '../../src/fakes/github-sender.ts';
import { closeServer, listenOnLoopback } from '../../src/fakes/http.ts';
import { webhookExample } from '../../src/fakes/webhook-examples.ts';

const SECRET = 'github-webhook-secret';

let server: Server;
let github: GitHubSender;
let received: Array<Pick<EmitterWebhookEvent, 'id' | 'name'> & { payload: unknown }>;

beforeAll(async () => {
  const webhooks = new Webhooks({ secret: SECRET });
  webhooks.onAny(({ id, name, payload }) => {
    received.push({ id, name, payload });
  });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const middleware = createNodeMiddleware(webhooks, { path: '/github/webhooks', log: quiet });
  server = createServer((req, res) => void middleware(req, res));
  github = new GitHubSender({ appUrl: `${await listenOnLoopback(server)}/github/webhooks`, secret: SECRET });
});

afterAll(() => closeServer(server));

beforeEach(() => {
  received = [];
});

describe('GitHubSender', () => {
  it('delivers signed webhooks that @octokit/webhooks verifies and dispatches', async () => {
    const payload = webhookExample('pull_request', 'review_requested');
    const delivery = await github.deliver('pull_request', payload);

    expect(delivery.status).toBe(200);
    expect(received).toEqual([{ id: delivery.deliveryId, name: 'pull_request', payload }]);
  });

  it('redelivers with the same delivery ID when asked to', async () => {
    const payload = webhookExample('ping');
    const first = await github.deliver('ping', payload);
    await github.deliver('ping', payload, { deliveryId: first.deliveryId });

    expect(received.map((event) => event.id)).toEqual([first.deliveryId, first.deliveryId]);
  });

  it('sends raw bodies with chosen headers, e.g. a bad signature', async () => {
    const response = await github.send('{}', {
      'Content-Type': 'application/json',
      'X-GitHub-Event': 'ping',
      'X-GitHub-Delivery': 'forged',
      'X-Hub-Signature-256': 'sha256=0000',
    });

    expect(response.status).toBe(400);
    expect(received).toEqual([]);
  });
});

describe('webhookExample', () => {
  it('returns a real review_requested payload, naming the requested reviewer', () => {
    const payload = webhookExample('pull_request', 'review_requested');

    expect(payload.action).toBe('review_requested');
    expect(payload.pull_request.number).toEqual(expect.any(Number));
    expect('requested_reviewer' in payload && payload.requested_reviewer?.login).toEqual(expect.any(String));
  });

  it('returns a fresh copy each time, so tests can patch it', () => {
    const patched = webhookExample('deployment_status');
    patched.deployment_status.state = 'failure';

    expect(webhookExample('deployment_status').deployment_status.state).not.toBe('failure');
  });

  it('picks a variant among several examples', () => {
    const withInstallation = webhookExample('deployment_status', 'created', (payload) => Boolean(payload.installation));
    expect(withInstallation.installation?.id).toEqual(expect.any(Number));
  });

  it('lists the actions it has when none matches', () => {
    expect(() => webhookExample('pull_request', 'milestoned')).toThrow(
      /No pull_request example with action milestoned matching the variant; examples have: opened, assigned/,
    );
  });
});
