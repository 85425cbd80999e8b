import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from '../../src/fakes/http.ts';

/** The repository root: where `npm run build` writes `dist/`. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

const run = promisify(execFile);

/** `npm run build` in the repository, as the Dockerfile's build stage runs it. */
export async function buildDist(): Promise<void> {
  await run('npm', ['run', 'build'], { cwd: REPO_ROOT });
}

/**
 * What the Dockerfile's runtime stage holds, in `appDir`: `dist/` and `package*.json` copied from
 * the repository, and production dependencies only (`npm ci --omit=dev`, from the local npm cache
 * when it has them).
 */
export async function installProductionCopy(appDir: string): Promise<void> {
  await mkdir(appDir, { recursive: true });
  await cp(path.join(REPO_ROOT, 'dist'), path.join(appDir, 'dist'), { recursive: true });
  for (const file of ['package.json', 'package-lock.json'])
    await cp(path.join(REPO_ROOT, file), path.join(appDir, file));
  await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: appDir });
}

export interface BuiltTugboat {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
}

/**
 * `node dist/src/main.js` in `appDir` with NODE_ENV=production, as the image's CMD starts it,
 * configured only by `env` (PATH aside); resolves once `/readyz` answers 200.
 */
export async function startBuiltTugboat(
  appDir: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<BuiltTugboat> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started: BuiltTugboat = {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    if (
      await fetch(`${started.url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      )
    )
      return started;
    await sleep(100);
  }
  await started.stop();
  throw new Error(`node dist/src/main.js did not become ready:\n${output}`);
}
