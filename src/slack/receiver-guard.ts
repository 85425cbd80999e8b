import type { Handler } from '../http/server.ts';
import { send } from '../http/server.ts';

const WINDOW_SECONDS = 5 * 60;

/**
 * Bolt refuses stale timestamps but not ones from the future; Slack's replay rule is a
 * five-minute window either way, so a request dated ahead is refused here before Bolt sees it.
 */
export function withReplayWindow(handler: Handler, nowMs: () => number = Date.now): Handler {
  return (req, res) => {
    const timestamp = Number(req.headers['x-slack-request-timestamp']);
    if (Number.isFinite(timestamp) && timestamp - nowMs() / 1000 > WINDOW_SECONDS) return send(res, 401, '');
    return handler(req, res);
  };
}
