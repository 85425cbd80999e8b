import type { App } from '@slack/bolt';
import type { Deps } from '../../deps.ts';
import { firstDeliveryOf } from '../events.ts';

/**
 * Slack retries an event it thinks we missed (same `event_id`, `X-Slack-Retry-Num`). The first
 * delivery to insert its id wins; later ones are acknowledged and go no further.
 */
export function registerEventDedupe(app: App, deps: Pick<Deps, 'log' | 'store'>): void {
  app.use(async ({ body, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === 'string') {
      if (!(await firstDeliveryOf(deps.store, eventId))) {
        deps.log.info({ eventId }, 'ignoring a retried Slack event');
        return;
      }
    }
    await next();
  });
}
