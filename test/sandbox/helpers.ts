import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/main.ts';
import { LogCapture } from '../helpers/logs.ts';

export interface TestSandbox extends Sandbox {
  /** Log lines of the sandbox's tugboat, kept for a failing test's message. */
  logs: LogCapture;
  get(path: string): Promise<{ status: number; body: any; contentType: string }>;
  post(path: string, body: unknown): Promise<{ status: number; body: any }>;
}

/** The sandbox on free loopback ports with a data folder of its own, as `npm start` runs it but quicker. */
export async function bootSandbox(options: SandboxOptions = {}): Promise<TestSandbox & { dispose(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tugboat-sandbox-'));
  const logs = new LogCapture();
  const sandbox = await startSandbox({
    port: 0,
    tugboatPort: 0,
    dataDir: path.join(dir, 'db'),
    rolloutMs: 0,
    history: false,
    logLevel: 'warn',
    logDestination: logs,
    // Slack's one message per second per channel would make every test wait seconds per message.
    poster: { minIntervalMs: 0 },
    ...options,
  });
  const get = async (p: string) => {
    const response = await fetch(`${sandbox.url}${p}`);
    const contentType = response.headers.get('content-type') ?? '';
    const text = await response.text();
    return { status: response.status, contentType, body: contentType.includes('json') ? JSON.parse(text) : text };
  };
  const post = async (p: string, body: unknown) => {
    const response = await fetch(`${sandbox.url}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
  return Object.assign(sandbox, {
    logs,
    get,
    post,
    async dispose() {
      await sandbox.stop();
      await rm(dir, { recursive: true, force: true });
    },
  });
}

/** Polls until `probe` returns something truthy; the last value seen goes in the timeout's message. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as T;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; last saw: ${last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 500)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
