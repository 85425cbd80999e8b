import type { TestClock } from './clock.ts';
import { startHarness, type Harness } from './harness.ts';
import type { StoreBackend, TestDatabase } from './stores.ts';

export const REVIEW_CHANNEL = 'C0REVIEWS';
export const REPO = 'acme/api';
export {
  commentPayload,
  pullRequestPayload,
  reviewPayload,
  type PullRequestPatch,
} from '../../src/fakes/review-payloads.ts';

/** The fixture's shape: `api` discusses its pull requests in C0REVIEWS, `web` has no review channel. */
export const REVIEWS_TEST_CONFIG = `
timezone: America/New_York
environments:
  staging:
    channel: C0STAGING
services:
  api:
    repo: acme/api
    environments: [staging]
    deploy: { via: github-deployment }
    review_channel: C0REVIEWS
  web:
    repo: acme/web
    environments: [staging]
    deploy: { via: github-deployment }
people:
  octocat: U0ALICE
  bob: U0BOB
  carol: U0CAROL
`;

/** The app with the review webhooks registered, as app.ts will register them. */
export async function startReviewHarness(options: {
  backend: StoreBackend;
  db?: TestDatabase;
  foldMs?: number;
  clock?: TestClock;
}): Promise<Harness> {
  return startHarness({
    backend: options.backend,
    db: options.db,
    clock: options.clock,
    configYaml: REVIEWS_TEST_CONFIG,
    reviews: { foldMs: options.foldMs ?? 20 },
  });
}

/** Delivers a webhook and waits until tugboat has finished with it (fold window included). */
export async function deliver(h: Harness, event: string, payload: unknown, deliveryId?: string) {
  const delivered = await h.github.deliver(event, payload, { deliveryId });
  await h.tugboat.settle();
  return delivered;
}

/** The review channel's root messages, as Slack shows them now. */
export const roots = (h: Harness) => h.slackApi.messages(REVIEW_CHANNEL);

/** The replies under the only root, oldest first. */
export function replies(h: Harness): string[] {
  const all = roots(h);
  if (all.length !== 1) throw new Error(`expected one root in ${REVIEW_CHANNEL}, found ${all.length}`);
  return h.slackApi
    .thread(REVIEW_CHANNEL, all[0].ts)
    .filter((m) => m.ts !== all[0].ts)
    .map((m) => String(m.text));
}
