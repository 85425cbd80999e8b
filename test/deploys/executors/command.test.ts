import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandExecutor, type ExecutorContext, OUTPUT_TAIL_CHARS, OutputTail } from '../../../src/deploys/index.ts';
import { JOB } from './job.ts';

let dir: string;
const strayPids: number[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tugboat-command-'));
});

afterEach(async () => {
  for (const pid of strayPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

async function script(name: string, body: string, mode = 0o755): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, mode);
  return `./${name}`;
}

function context(signal = new AbortController().signal): ExecutorContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    signal,
    progress: async (line) => {
      lines.push(line);
    },
  };
}

async function readPid(file: string): Promise<number> {
  const pid = Number((await readFile(path.join(dir, file), 'utf8')).trim());
  expect(pid).toBeGreaterThan(1);
  strayPids.push(pid);
  return pid;
}

/** Gone, or a zombie nobody has reaped yet (PID 1 in a container may not reap orphans). */
function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function waitUntilDead(pid: number, withinMs = 3_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (isDead(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return isDead(pid);
}

async function waitForFile(file: string, withinMs = 3_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    try {
      await readFile(path.join(dir, file));
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  throw new Error(`${file} never appeared`);
}

describe('command executor', () => {
  it('runs the script from the tugboat.yml folder with TUGBOAT_* variables and keeps its output', async () => {
    const run = await script(
      'deploy.sh',
      [
        'echo "id=$TUGBOAT_DEPLOY_ID service=$TUGBOAT_SERVICE env=$TUGBOAT_ENV"',
        'echo "ref=$TUGBOAT_REF sha=$TUGBOAT_SHA repo=$TUGBOAT_REPO by=$TUGBOAT_REQUESTED_BY"',
        'echo "rollback=${TUGBOAT_ROLLBACK_OF-unset} base=$FROM_BASE args=$*"',
        'echo "cwd=$(pwd)"',
        'echo "to stderr" >&2',
      ].join('\n'),
    );
    const ctx = context();
    const executor = commandExecutor({
      run: [run, 'first arg', '--fast'],
      cwd: dir,
      timeoutMs: 10_000,
      env: { PATH: process.env.PATH, FROM_BASE: 'yes', TUGBOAT_ROLLBACK_OF: 'stale' },
      passEnv: ['FROM_BASE'],
    });

    const outcome = await executor.start(JOB, ctx);

    expect(outcome).toMatchObject({ kind: 'finished', succeeded: true });
    expect(outcome.kind === 'finished' && outcome.reason).toBeFalsy();
    const tail = outcome.kind === 'finished' ? (outcome.outputTail ?? '') : '';
    expect(tail).toContain('id=42 service=api env=production');
    expect(tail).toContain(`ref=main sha=${JOB.sha} repo=acme/api by=U0ALICE`);
    expect(tail).toContain('rollback=unset base=yes args=first arg --fast');
    expect(tail).toContain(`cwd=${dir}`);
    expect(tail).toContain('to stderr');
    expect(ctx.lines).toEqual(['Running `./deploy.sh "first arg" --fast`…']);
  });

  it('sets TUGBOAT_ROLLBACK_OF for a rollback', async () => {
    const run = await script('deploy.sh', 'echo "rollback of $TUGBOAT_ROLLBACK_OF"');
    const outcome = await commandExecutor({ run: [run], cwd: dir, timeoutMs: 10_000 }).start(
      { ...JOB, rollbackOf: 41 },
      context(),
    );
    expect(outcome).toEqual({ kind: 'finished', succeeded: true, outputTail: 'rollback of 41' });
  });

  it("passes only PATH, HOME, LANG, LC_ALL, TZ, TMPDIR and the passEnv names: never tugboat's secrets, even when listed", async () => {
    const run = await script('deploy.sh', 'env');
    const env = {
      PATH: process.env.PATH,
      HOME: '/home/tugboat',
      LANG: 'C.UTF-8',
      TZ: 'UTC',
      AWS_PROFILE: 'deployer',
      UNLISTED: 'no',
      SLACK_BOT_TOKEN: 'xoxb-secret',
      DATABASE_URL: 'postgres://u:p@db/t',
      TUGBOAT_WEBHOOK_SECRET: 'hook-secret',
      TUGBOAT_SANDBOX_URL: 'http://localhost:3001',
      TUGBOAT_REF: 'stale',
    };
    const passEnv = [
      'AWS_PROFILE',
      'SLACK_BOT_TOKEN',
      'DATABASE_URL',
      'TUGBOAT_WEBHOOK_SECRET',
      'TUGBOAT_SANDBOX_URL',
      'TUGBOAT_REF',
      'NOT_SET',
    ];
    const outcome = await commandExecutor({ run: [run], cwd: dir, timeoutMs: 10_000, env, passEnv }).start(
      JOB,
      context(),
    );

    const given = (outcome.kind === 'finished' ? (outcome.outputTail ?? '') : '').split('\n');
    // The shell adds PWD (and may add SHLVL or _) itself.
    const names = given
      .map((line) => line.slice(0, line.indexOf('=')))
      .filter((name) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(name));
    expect(names.sort()).toEqual(
      [
        'AWS_PROFILE',
        'HOME',
        'LANG',
        'PATH',
        'TUGBOAT_DEPLOY_ID',
        'TUGBOAT_ENV',
        'TUGBOAT_REF',
        'TUGBOAT_REPO',
        'TUGBOAT_REQUESTED_BY',
        'TUGBOAT_SANDBOX_URL',
        'TUGBOAT_SERVICE',
        'TUGBOAT_SHA',
        'TZ',
      ].sort(),
    );
    expect(given).toContain('TUGBOAT_REF=main');
    expect(given).toContain('AWS_PROFILE=deployer');
  });

  it('scrubs the output before keeping its tail, so a secret is redacted even where the tail is cut', async () => {
    const secret = 'S'.repeat(40);
    // One line: the secret, then enough that keeping the last 3,000 characters would cut the secret in half.
    const rest = 'y'.repeat(OUTPUT_TAIL_CHARS - 20);
    const run = await script('deploy.sh', `echo "${secret}${rest}"`);
    const scrub = (text: string) => text.split(secret).join('[Redacted]');
    const outcome = await commandExecutor({ run: [run], cwd: dir, timeoutMs: 10_000, scrub }).start(JOB, context());
    expect(outcome).toEqual({ kind: 'finished', succeeded: true, outputTail: `[Redacted]${rest}` });
  });

  it('fails with the exit code and keeps the output tail', async () => {
    const run = await script('deploy.sh', 'echo "migrating"\necho "migration 0042 failed" >&2\nexit 3');
    const outcome = await commandExecutor({ run: [run], cwd: dir, timeoutMs: 10_000 }).start(JOB, context());
    expect(outcome).toEqual({
      kind: 'finished',
      succeeded: false,
      reason: 'exited with code 3',
      outputTail: 'migrating\nmigration 0042 failed',
    });
  });

  it('kills the whole process group on timeout, including children of the script', async () => {
    const run = await script('deploy.sh', 'echo started\nsleep 100 &\necho $! > child.pid\nwait');
    const started = Date.now();
    const outcome = await commandExecutor({ run: [run], cwd: dir, timeoutMs: 500 }).start(JOB, context());

    expect(outcome).toEqual({
      kind: 'finished',
      succeeded: false,
      reason: 'timed out after 500 ms',
      timedOut: true,
      outputTail: 'started',
    });
    expect(Date.now() - started).toBeLessThan(4_000);
    const child = await readPid('child.pid');
    expect(await waitUntilDead(child)).toBe(true);
  });

  it('names the timeout in human units', async () => {
    const run = await script('deploy.sh', 'sleep 100');
    const executor = commandExecutor({ run: [run], cwd: dir, timeoutMs: 1_000 });
    const outcome = await executor.start(JOB, context());
    expect(outcome).toMatchObject({ succeeded: false, reason: 'timed out after 1s' });
  });

  it('SIGKILLs a script that ignores SIGTERM after the grace period', async () => {
    const run = await script('deploy.sh', "trap '' TERM\necho $$ > script.pid\nsleep 100 &\necho $! > child.pid\nwait");
    const started = Date.now();
    const outcome = await commandExecutor({ run: [run], cwd: dir, timeoutMs: 300, killGraceMs: 400 }).start(
      JOB,
      context(),
    );

    expect(outcome).toMatchObject({ succeeded: false, reason: 'timed out after 300 ms' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);
    expect(await waitUntilDead(await readPid('script.pid'))).toBe(true);
    expect(await waitUntilDead(await readPid('child.pid'))).toBe(true);
  });

  it('stops when the context signal is aborted, with its reason', async () => {
    const run = await script('deploy.sh', 'sleep 100 &\necho $! > child.pid\nwait');
    const controller = new AbortController();
    const pending = commandExecutor({ run: [run], cwd: dir, timeoutMs: 60_000 }).start(JOB, context(controller.signal));
    await waitForFile('child.pid');
    controller.abort('superseded by rollback #43');

    expect(await pending).toEqual({
      kind: 'finished',
      succeeded: false,
      reason: 'stopped: superseded by rollback #43',
    });
    expect(await waitUntilDead(await readPid('child.pid'))).toBe(true);
  });

  it('does not start at all when already aborted', async () => {
    const run = await script('deploy.sh', 'touch ran');
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    const ctx = context(controller.signal);
    const outcome = await commandExecutor({ run: [run], cwd: dir, timeoutMs: 10_000 }).start(JOB, ctx);

    expect(outcome).toEqual({ kind: 'finished', succeeded: false, reason: 'stopped: shutting down' });
    expect(ctx.lines).toEqual([]);
    await expect(readFile(path.join(dir, 'ran'))).rejects.toThrow();
  });

  it('says clearly which file is missing and where it was looked for', async () => {
    const outcome = await commandExecutor({ run: ['./scripts/deploy.sh'], cwd: dir, timeoutMs: 10_000 }).start(
      JOB,
      context(),
    );
    expect(outcome).toEqual({
      kind: 'finished',
      succeeded: false,
      reason: `./scripts/deploy.sh not found (relative to ${dir})`,
    });
  });

  it('says when a bare program name is not on PATH', async () => {
    const outcome = await commandExecutor({ run: ['tugboat-no-such-program'], cwd: dir, timeoutMs: 10_000 }).start(
      JOB,
      context(),
    );
    expect(outcome).toMatchObject({
      succeeded: false,
      reason:
        'tugboat-no-such-program not found on PATH (for a file next to tugboat.yml, write ./tugboat-no-such-program)',
    });
  });

  it('says when the script is not executable', async () => {
    const run = await script('deploy.sh', 'echo hi', 0o644);
    const outcome = await commandExecutor({ run: [run], cwd: dir, timeoutMs: 10_000 }).start(JOB, context());
    expect(outcome).toMatchObject({
      succeeded: false,
      reason: `./deploy.sh is not executable (relative to ${dir}): chmod +x it`,
    });
  });

  it("says when the script's interpreter is missing", async () => {
    const file = path.join(dir, 'deploy.sh');
    await writeFile(file, '#!/no/such/interpreter\necho hi\n');
    await chmod(file, 0o755);
    const outcome = await commandExecutor({ run: ['./deploy.sh'], cwd: dir, timeoutMs: 10_000 }).start(JOB, context());
    expect(outcome).toMatchObject({
      succeeded: false,
      reason: './deploy.sh could not start: its interpreter /no/such/interpreter was not found',
    });
  });

  it('says when the tugboat.yml folder is gone', async () => {
    const missing = path.join(dir, 'nope');
    const outcome = await commandExecutor({ run: ['./deploy.sh'], cwd: missing, timeoutMs: 10_000 }).start(
      JOB,
      context(),
    );
    expect(outcome).toMatchObject({ succeeded: false, reason: expect.stringContaining(`the folder ${missing}`) });
  });

  it('keeps only the last 30 lines of 10,000', async () => {
    const run = await script('deploy.sh', 'i=1\nwhile [ $i -le 10000 ]; do echo "line $i"; i=$((i+1)); done');
    const outcome = await commandExecutor({ run: [run], cwd: dir, timeoutMs: 20_000 }).start(JOB, context());

    expect(outcome).toMatchObject({ kind: 'finished', succeeded: true });
    const lines = (outcome.kind === 'finished' ? (outcome.outputTail ?? '') : '').split('\n');
    expect(lines).toHaveLength(30);
    expect(lines[0]).toBe('line 9971');
    expect(lines[29]).toBe('line 10000');
  });

  it('keeps at most ~3,000 characters of long lines', async () => {
    const run = await script(
      'deploy.sh',
      'i=1\nwhile [ $i -le 10000 ]; do printf "%05d %0200d\\n" $i 0; i=$((i+1)); done\nexit 1',
    );
    const outcome = await commandExecutor({ run: [run], cwd: dir, timeoutMs: 20_000 }).start(JOB, context());

    expect(outcome).toMatchObject({ kind: 'finished', succeeded: false, reason: 'exited with code 1' });
    const tail = outcome.kind === 'finished' ? (outcome.outputTail ?? '') : '';
    expect(tail.length).toBeLessThanOrEqual(OUTPUT_TAIL_CHARS);
    expect(tail.length).toBeGreaterThan(OUTPUT_TAIL_CHARS - 250);
    expect(tail.startsWith('…')).toBe(true);
    expect(tail.endsWith(`10000 ${'0'.repeat(200)}`)).toBe(true);
  });

  it('does not wait for a background process that keeps the output open', async () => {
    const run = await script('deploy.sh', 'sleep 100 &\necho $! > child.pid\necho deployed');
    const started = Date.now();
    const outcome = await commandExecutor({ run: [run], cwd: dir, timeoutMs: 20_000 }).start(JOB, context());
    await readPid('child.pid'); // killed in afterEach

    expect(outcome).toEqual({ kind: 'finished', succeeded: true, outputTail: 'deployed' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('still deploys when the progress line cannot be posted', async () => {
    const run = await script('deploy.sh', 'echo ok');
    const outcome = await commandExecutor({ run: [run], cwd: dir, timeoutMs: 10_000 }).start(JOB, {
      signal: new AbortController().signal,
      progress: () => Promise.reject(new Error('slack down')),
    });
    expect(outcome).toEqual({ kind: 'finished', succeeded: true, outputTail: 'ok' });
  });

  it('refuses an empty argv when built', () => {
    expect(() => commandExecutor({ run: [], cwd: dir, timeoutMs: 1_000 })).toThrow(/run/);
  });
});

describe('OutputTail', () => {
  it('joins chunks split mid-line and strips colours and carriage-return redraws', () => {
    const tail = new OutputTail();
    tail.push('building\x1b[32m ok\x1b[0m\nupl');
    tail.push('oading 10%\rupl');
    tail.push('oading 100%\r\n\n\n');
    expect(tail.text()).toBe('building ok\nuploading 100%');
  });

  it('stays bounded in memory however much is pushed', () => {
    const tail = new OutputTail();
    for (let i = 0; i < 100_000; i++) tail.push(`line ${i}\n`);
    const buffered = (tail as unknown as { buffer: string }).buffer.length;
    expect(buffered).toBeLessThan(30_000);
    expect(tail.text().split('\n').at(-1)).toBe('line 99999');
  });

  it('marks a single huge line as cut', () => {
    const tail = new OutputTail();
    tail.push('x'.repeat(50_000));
    const text = tail.text();
    expect(text).toHaveLength(OUTPUT_TAIL_CHARS);
    expect(text.startsWith('…x')).toBe(true);
  });
});
