import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Acknowledges a Slack request, then lets the event loop take in the requests that arrived
 * meanwhile before the slow part of this one starts, so that under a burst every request is
 * acknowledged first and Slack's 3-second limit holds.
 */
export async function acknowledge(ack: () => Promise<void>): Promise<void> {
  await ack();
  await nextTurn();
}
