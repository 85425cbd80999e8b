import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { DeployJob, Executor, ExecutorContext, ExecutorOutcome } from './types.ts';
import { humanDuration } from '../../config/index.ts';
import { describeAbortReason } from './wording.ts';
import { isSecretVariable } from '../../secrets.ts';
import { codeText, LIMITS } from '../../slack/render/untrusted.ts';

export interface CommandExecutorOptions {
  /** argv: `run[0]` is executed directly (no shell) with `run.slice(1)` as its arguments. */
  run: string[];
  /** The folder of tugboat.yml: relative paths in `run[0]` resolve from here. */
  cwd: string;
  /** The deploy is killed (process group: SIGTERM, then SIGKILL) after this long. */
  timeoutMs: number;
  /**
   * Where the script's variables come from (tugboat's own environment unless given): only those
   * in `ALWAYS_PASSED` and `passEnv` are taken, never tugboat's secrets; the `TUGBOAT_*` deploy
   * variables are added.
   */
  env?: NodeJS.ProcessEnv;
  /** The service's `deploy.env`: more variables the script needs, like AWS_PROFILE. */
  passEnv?: readonly string[];
  /** Applied to the output before it leaves (tugboat's secrets become `[Redacted]`). */
  scrub?: (text: string) => string;
  /** Time between SIGTERM and SIGKILL when stopping the command (default 5 s). */
  killGraceMs?: number;
}

export const OUTPUT_TAIL_LINES = 30;
export const OUTPUT_TAIL_CHARS = 3_000;

/**
 * Passed to every script when tugboat has them: where programs are, the home folder, the
 * language, the time zone and the temporary folder. Scripts break without them, and none holds
 * a secret.
 */
const ALWAYS_PASSED = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;

const DEFAULT_KILL_GRACE_MS = 5_000;
/** After the command itself exits, how long to wait for the last output from its pipes. */
const DRAIN_AFTER_EXIT_MS = 1_000;
/** Raw characters kept in memory: enough for the tail even after trimming trailing blank output. */
const BUFFER_KEEP_CHARS = 4 * OUTPUT_TAIL_CHARS;

/** Runs a deploy script as an argv (no shell), with an allowlisted environment and `TUGBOAT_*` variables; exit 0 is success. */
export function commandExecutor(options: CommandExecutorOptions): Executor {
  if (options.run.length === 0 || options.run[0] === '') {
    throw new TypeError('commandExecutor: `run` needs at least the program to run');
  }
  if (!(options.timeoutMs > 0)) throw new TypeError('commandExecutor: `timeoutMs` must be positive');
  return {
    start: (job, context) => runCommand(options, job, context),
  };
}

async function runCommand(
  options: CommandExecutorOptions,
  job: DeployJob,
  context: ExecutorContext,
): Promise<ExecutorOutcome> {
  const { run, cwd, timeoutMs } = options;
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const program = run[0];

  if (context.signal.aborted) return failed(`stopped: ${describeAbortReason(context.signal.reason)}`);

  const folder = await stat(cwd).catch(() => undefined);
  if (!folder?.isDirectory()) {
    return failed(`cannot run ${program}: the folder ${cwd} (where tugboat.yml is) does not exist`);
  }

  try {
    await context.progress(`Running ${codeText(displayArgv(run), LIMITS.sentence)}…`);
  } catch {
    // The thread is for people; a failed progress post must not stop the deploy.
  }
  if (context.signal.aborted) return failed(`stopped: ${describeAbortReason(context.signal.reason)}`);

  const tail = new OutputTail();
  const child = spawn(program, run.slice(1), {
    cwd,
    env: deployEnvironment(options.env ?? process.env, job, options.passEnv ?? []),
    shell: false,
    // Its own process group, so a timeout or stop also reaches whatever the script started.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });

  return new Promise<ExecutorOutcome>((resolve) => {
    let stopReason: string | undefined;
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    let settled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    child.stdout.on('data', (chunk: Buffer) => tail.push(decoders.stdout.write(chunk)));
    child.stderr.on('data', (chunk: Buffer) => tail.push(decoders.stderr.write(chunk)));

    const signalGroup = (signal: NodeJS.Signals): boolean => {
      if (child.pid === undefined) return false;
      try {
        process.kill(-child.pid, signal);
        return true;
      } catch {
        return false; // ESRCH: the whole group is already gone.
      }
    };

    const stop = (reason: string): void => {
      // Once the command has exited, its exit code decides, even if its pipes are still draining.
      if (stopReason !== undefined || settled || exit !== undefined) return;
      stopReason = reason;
      if (!signalGroup('SIGTERM')) return;
      // SIGKILL whatever is left of the group (the script or anything it started) after the grace.
      killTimer = setTimeout(() => signalGroup('SIGKILL'), killGraceMs);
    };

    const timeoutTimer = setTimeout(() => {
      timedOut = exit === undefined && stopReason === undefined;
      stop(`timed out after ${humanDuration(timeoutMs)}`);
    }, timeoutMs);
    const onAbort = (): void => stop(`stopped: ${describeAbortReason(context.signal.reason)}`);
    context.signal.addEventListener('abort', onAbort, { once: true });

    const finish = (outcome: ExecutorOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(drainTimer);
      context.signal.removeEventListener('abort', onAbort);
      // Leave killTimer running when we stopped the group: stragglers ignoring SIGTERM still get SIGKILL.
      if (stopReason === undefined) clearTimeout(killTimer);
      else killTimer?.unref();
      resolve(outcome);
    };

    const finishFromExit = (): void => {
      if (exit === undefined) return;
      tail.push(decoders.stdout.end());
      tail.push(decoders.stderr.end());
      const outputTail = tail.text(options.scrub) || undefined;
      if (stopReason !== undefined) {
        finish({
          kind: 'finished',
          succeeded: false,
          reason: stopReason,
          ...(timedOut ? { timedOut } : {}),
          ...(outputTail ? { outputTail } : {}),
        });
      } else if (exit.code === 0) {
        finish({ kind: 'finished', succeeded: true, ...(outputTail ? { outputTail } : {}) });
      } else {
        const reason = exit.code !== null ? `exited with code ${exit.code}` : `killed by ${exit.signal ?? 'a signal'}`;
        finish({ kind: 'finished', succeeded: false, reason, ...(outputTail ? { outputTail } : {}) });
      }
    };

    child.once('error', (error: NodeJS.ErrnoException) => {
      // Spawn failures (ENOENT, EACCES…) arrive here, without an 'exit'.
      if (exit !== undefined || settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      context.signal.removeEventListener('abort', onAbort);
      void describeSpawnError(error, program, cwd).then((reason) => resolve(failed(reason)));
    });

    child.once('exit', (code, signal) => {
      exit = { code, signal };
      // Something the script started in the background may still hold its stdout: don't wait for it forever.
      drainTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finishFromExit();
      }, DRAIN_AFTER_EXIT_MS);
    });

    // All pipes closed after exit: every last line is in.
    child.once('close', () => finishFromExit());
  });
}

function failed(reason: string): ExecutorOutcome {
  return { kind: 'finished', succeeded: false, reason };
}

/** The script's whole environment: the allowlisted variables of `base`, then the deploy's own. */
function deployEnvironment(base: NodeJS.ProcessEnv, job: DeployJob, passEnv: readonly string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of [...ALWAYS_PASSED, ...passEnv]) {
    if (base[name] !== undefined && mayPass(name)) env[name] = base[name];
  }
  return { ...env, ...deployVariables(job) };
}

/**
 * The config already refuses these in `deploy.env`; checked again so no caller can hand a script
 * tugboat's credentials, or a stale deploy variable of tugboat's own environment.
 */
function mayPass(name: string): boolean {
  return !isSecretVariable(name) && !(DEPLOY_VARIABLES as readonly string[]).includes(name);
}

/** What tugboat tells the script about its deploy (README, "what scripts receive"). */
export const DEPLOY_VARIABLES = [
  'TUGBOAT_DEPLOY_ID',
  'TUGBOAT_SERVICE',
  'TUGBOAT_ENV',
  'TUGBOAT_REF',
  'TUGBOAT_SHA',
  'TUGBOAT_REPO',
  'TUGBOAT_REQUESTED_BY',
  'TUGBOAT_ROLLBACK_OF',
] as const;

function deployVariables(job: DeployJob): Partial<Record<(typeof DEPLOY_VARIABLES)[number], string>> {
  return {
    TUGBOAT_DEPLOY_ID: String(job.id),
    TUGBOAT_SERVICE: job.service,
    TUGBOAT_ENV: job.environment,
    TUGBOAT_REF: job.ref,
    TUGBOAT_SHA: job.sha,
    TUGBOAT_REPO: job.repo,
    TUGBOAT_REQUESTED_BY: job.requestedBy,
    ...(job.rollbackOf !== undefined ? { TUGBOAT_ROLLBACK_OF: String(job.rollbackOf) } : {}),
  };
}

async function describeSpawnError(error: NodeJS.ErrnoException, program: string, cwd: string): Promise<string> {
  const hasSlash = program.includes('/');
  const where = path.isAbsolute(program) ? '' : ` (relative to ${cwd})`;
  const resolved = path.resolve(cwd, program);
  switch (error.code) {
    case 'ENOENT': {
      if (!hasSlash) {
        return `${program} not found on PATH (for a file next to tugboat.yml, write ./${program})`;
      }
      const file = await stat(resolved).catch(() => undefined);
      if (file === undefined) return `${program} not found${where}`;
      // The file exists, so execve's ENOENT is about its interpreter.
      const interpreter = await shebang(resolved);
      return interpreter !== undefined
        ? `${program} could not start: its interpreter ${interpreter} was not found`
        : `${program} could not start${where}: ${error.message}`;
    }
    case 'EACCES': {
      const file = hasSlash ? await stat(resolved).catch(() => undefined) : undefined;
      if (file?.isDirectory()) return `${program} is a folder, not a program${where}`;
      return `${program} is not executable${where}: chmod +x it`;
    }
    case 'ENOEXEC':
      return `${program} is not a program the system can run${where}: start a script with a #! line`;
    default:
      return `${program} could not start${where}: ${error.message}`;
  }
}

async function shebang(file: string): Promise<string | undefined> {
  try {
    const head = (await readFile(file)).subarray(0, 256).toString('utf8');
    const match = /^#!\s*(\S+)/.exec(head);
    return match?.[1];
  } catch {
    return undefined;
  }
}

function displayArgv(argv: string[]): string {
  return argv.map((arg) => (arg === '' || /[\s'"`\\$]/.test(arg) ? JSON.stringify(arg) : arg)).join(' ');
}

const ANSI_ESCAPE = /\u001b\[[0-?]*[ -/]*[@-~]/g;

/** The last lines of a command's output, in bounded memory however much it prints. */
export class OutputTail {
  private buffer = '';
  private truncated = false;

  constructor(
    private readonly maxLines = OUTPUT_TAIL_LINES,
    private readonly maxChars = OUTPUT_TAIL_CHARS,
  ) {}

  push(text: string): void {
    if (text === '') return;
    this.buffer += text;
    const keep = Math.max(BUFFER_KEEP_CHARS, 4 * this.maxChars);
    if (this.buffer.length > 2 * keep) {
      this.buffer = this.buffer.slice(-keep);
      this.truncated = true;
    }
  }

  /**
   * At most `maxLines` lines and `maxChars` characters; a cut first line starts with `…`.
   * `scrub` sees all the output kept, before it is cut, so no secret is cut in half first.
   */
  text(scrub: (text: string) => string = (text) => text): string {
    const cleaned = scrub(this.buffer.replace(ANSI_ESCAPE, '').replace(/\r\n/g, '\n')).trimEnd();
    let lines = cleaned.split('\n');
    // After truncating the buffer, its first line is probably partial.
    let cut = this.truncated;
    if (lines.length > this.maxLines) {
      lines = lines.slice(-this.maxLines);
      cut = false;
    }
    // A progress bar's carriage returns: keep what the terminal would have shown last.
    lines = lines.map((line) => line.slice(line.lastIndexOf('\r') + 1));
    let tail = lines.join('\n');
    if (tail.length > this.maxChars - 1) {
      tail = tail.slice(-(this.maxChars - 1));
      cut = true;
    }
    return cut && tail !== '' ? `…${tail}` : tail;
  }
}
