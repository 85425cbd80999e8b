import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../src/fakes/http.ts';

const run = promisify(execFile);

/** Where Debian and Ubuntu put PostgreSQL's server programs; PG_BIN overrides. */
export function postgresBin(): string | undefined {
  const candidates = [
    process.env.PG_BIN,
    '/usr/lib/postgresql/17/bin',
    '/usr/lib/postgresql/16/bin',
    '/usr/lib/postgresql/15/bin',
  ];
  return candidates.find((dir): dir is string => dir !== undefined && existsSync(path.join(dir, 'initdb')));
}

export type RestartMode = 'fast' | 'immediate';

/**
 * A PostgreSQL cluster of the suite's own, in a temporary folder on a free port, so it can be
 * restarted for real without touching any server someone else uses. As root, the server runs as
 * the `postgres` user (PostgreSQL refuses to run as root).
 */
export class ScratchPostgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
    private readonly asPostgres: boolean,
  ) {}

  static async start(): Promise<ScratchPostgres> {
    const bin = postgresBin();
    if (!bin) throw new Error('initdb not found (set PG_BIN to the folder of PostgreSQL’s server programs)');
    const dir = await mkdtemp(path.join(tmpdir(), 'tugboat-chaos-pg-'));
    const asPostgres = userInfo().uid === 0;
    if (asPostgres) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      await chown(dir, Number(stdout), Number(gid));
    }
    const cluster = new ScratchPostgres(bin, dir, await freePort(), asPostgres);
    await cluster.#run('initdb', ['-D', cluster.#data, '-U', 'postgres', '-A', 'trust', '--no-sync']);
    await cluster.#run('pg_ctl', [
      '-D',
      cluster.#data,
      '-l',
      path.join(dir, 'server.log'),
      '-o',
      cluster.#serverOptions,
      '-w',
      'start',
    ]);
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get #data(): string {
    return path.join(this.dir, 'data');
  }

  get #serverOptions(): string {
    // fsync off: the suite tests restarts, not disks; a restart still drops every connection.
    return `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  }

  /** A real restart: every connection dropped, and the server down for `downMs` before it starts again. */
  async restart(mode: RestartMode, downMs: number): Promise<void> {
    await this.#run('pg_ctl', ['-D', this.#data, '-m', mode, '-w', 'stop']);
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.#run('pg_ctl', [
      '-D',
      this.#data,
      '-l',
      path.join(this.dir, 'server.log'),
      '-o',
      this.#serverOptions,
      '-w',
      'start',
    ]);
  }

  /** Stops the server and removes the cluster. */
  async remove(): Promise<void> {
    await this.#run('pg_ctl', ['-D', this.#data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  async #run(program: string, args: string[]): Promise<void> {
    const file = path.join(this.bin, program);
    await (this.asPostgres ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args));
  }
}
