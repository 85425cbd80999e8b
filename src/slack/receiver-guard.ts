import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Handler } from '../http/server.ts';
import { send } from '../http/server.ts';

const WINDOW_SECONDS = 5 * 60;

/**
 * Bolt refuses stale timestamps but not ones from the future; Slack's replay rule is a
 * five-minute window either way, so a request dated ahead is refused here before Bolt sees it.
 */
export function withReplayWindow(handler: Handler, nowMs: () => number = Date.now): Handler {
  return (req, res, body) => {
    const timestamp = Number(req.headers['x-slack-request-timestamp']);
    if (Number.isFinite(timestamp) && timestamp - nowMs() / 1000 > WINDOW_SECONDS) return send(res, 401, '');
    return handler(req, res, body);
  };
}

/**
 * Bolt's receiver reads the body itself, unless the request already carries it as a Buffer in
 * `rawBody` (`bufferIncomingMessage` in Bolt's HTTPModuleFunctions). Handing it the body read
 * under the route's limit and the intake budget keeps `/slack/events` inside both.
 */
export function withBodyReadFirst(listener: (req: IncomingMessage, res: ServerResponse) => void): Handler {
  return async (req, res, body) => {
    const rawBody = await body();
    listener(Object.assign(req, { rawBody }), res);
  };
}
