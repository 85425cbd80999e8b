import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../src/fakes/http.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** A process that ended without the suite asking it to: what the goal "never exits on its own" is about. */
export interface UnexpectedExit {
  replica: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every process descended from `pid`, found through /proc (Linux). */
function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const todo = [pid];
  while (todo.length) for (const child of parents.get(todo.pop()!) ?? []) found.push(child), todo.push(child);
  return found;
}

/**
 * One tugboat process, `src/main.ts` as `npm start` runs it, configured by environment variables
 * only. Its output goes to `<logDir>/<name>.<generation>.log`.
 */
export class Replica {
  #child: ChildProcess | undefined;
  #expectingExit = false;
  #exited: Promise<number | null> = Promise.resolve(null);
  #generation = 0;
  port = 0;

  constructor(
    readonly name: string,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
    private readonly onUnexpectedExit: (exit: UnexpectedExit) => void,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get up(): boolean {
    return (
      this.#child !== undefined &&
      this.#child.exitCode === null &&
      this.#child.signalCode === null &&
      !this.#expectingExit
    );
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the process (again, as Kubernetes restarts a pod) and waits until /readyz says 200. */
  async start(): Promise<void> {
    this.port = await freePort();
    this.#generation += 1;
    this.#expectingExit = false;
    const log = createWriteStream(path.join(this.logDir, `${this.name}.${this.#generation}.log`));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.#child = child;
    this.#exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        if (!this.#expectingExit)
          this.onUnexpectedExit({ replica: `${this.name} (start ${this.#generation})`, code, signal });
        resolve(code);
      }),
    );
    const deadline = Date.now() + 60_000;
    while (
      !(await fetch(`${this.url}/readyz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline || !this.up)
        throw new Error(`replica ${this.name} did not become ready; see ${this.logDir}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /**
   * `kill -9` of the replica as a container runtime does it when a pod dies: the process and
   * everything it started (deploy scripts run in process groups of their own) at once.
   */
  async kill(): Promise<void> {
    const pid = this.#child?.pid;
    if (pid === undefined || !this.up) return;
    this.#expectingExit = true;
    for (const target of [pid, ...descendantsOf(pid)]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.#exited;
  }

  /** `SIGTERM`, as Kubernetes sends it before stopping a pod; resolves with the exit code. */
  async terminate(): Promise<number | null> {
    if (!this.up) return null;
    this.#expectingExit = true;
    this.#child!.kill('SIGTERM');
    return this.#exited;
  }
}
