import type { IncomingMessage, ServerResponse } from 'node:http';

const PING_EVERY_MS = 15_000;

/**
 * `GET /api/events`: server-sent events telling the page that something changed, one
 * `data: {"kind": …}` line per change (a Slack Web API method, `response_url`,
 * `command_response`, `seed`, or `github` and `demo`); the page fetches what it shows again.
 */
export class EventStream {
  readonly #clients = new Set<ServerResponse>();
  readonly #pingEveryMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { pingEveryMs?: number } = {}) {
    this.#pingEveryMs = options.pingEveryMs ?? PING_EVERY_MS;
  }

  get clients(): number {
    return this.#clients.size;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    // The page reconnects on its own after a restart; a second is enough to wait.
    res.write('retry: 1000\n: connected\n\n');
    this.#clients.add(res);
    const forget = () => {
      this.#clients.delete(res);
      if (this.#clients.size === 0) this.#stopPinging();
    };
    req.on('close', forget);
    res.on('error', forget);
    this.#startPinging();
  }

  send(kind: string): void {
    const line = `data: ${JSON.stringify({ kind })}\n\n`;
    for (const client of this.#clients) client.write(line);
  }

  close(): void {
    this.#stopPinging();
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }

  #startPinging(): void {
    this.#timer ??= setInterval(() => {
      for (const client of this.#clients) client.write(': ping\n\n');
    }, this.#pingEveryMs);
    this.#timer.unref();
  }

  #stopPinging(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
