import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Config } from '../config/index.ts';
import { readJson, sendError, sendText } from './http.ts';
import { sendJson } from '../fakes/http.ts';

/**
 * The sandbox's stand-in for the services tugboat deploys: per service and environment it serves
 * the commit deployed last (`GET /demo/<service>/<environment>/health` → `{"version": sha}`), which
 * the shipped deploy script changes (`POST /demo/deploy`). "Breaking production" marks the commit
 * serving now as bad: it answers 500 until a deploy or rollback to another commit.
 */

export interface DemoTarget {
  service: string;
  environment: string;
  sha: string;
  /** The commit serving now is one that was broken. */
  broken: boolean;
  /** Its health URL. */
  url: string;
}

export interface DemoLogLine {
  at: Date;
  service: string;
  environment: string;
  sha: string;
  text: string;
}

interface Slot {
  service: string;
  environment: string;
  sha: string;
  brokenShas: Set<string>;
}

const MAX_LOG_LINES = 5_000;

export const deployBody = z.object({
  service: z.string({ error: 'service is required' }),
  environment: z.string({ error: 'environment is required' }),
  sha: z.string({ error: 'sha is required' }).regex(/^[0-9a-f]{7,40}$/i, { error: 'sha must be a commit SHA' }),
  deploy_id: z.number().optional(),
});

export const breakBody = z.object({
  service: z.string({ error: 'service is required' }),
  environment: z.string({ error: 'environment is required' }),
  broken: z.boolean({ error: 'broken must be true or false' }),
});

export class DemoService {
  readonly #slots = new Map<string, Slot>();
  readonly #log: DemoLogLine[] = [];
  readonly #onChange: () => void;
  readonly #config: () => Config;
  #origin = '';
  /** How long a release takes: the deploy script's request is answered after this. */
  rolloutMs: number;

  constructor(options: {
    config: () => Config;
    initialShas: Record<string, string>;
    rolloutMs: number;
    onChange: () => void;
  }) {
    this.#config = options.config;
    this.#onChange = options.onChange;
    this.rolloutMs = options.rolloutMs;
    for (const [service, settings] of Object.entries(options.config().services)) {
      for (const environment of settings.environments) {
        const sha = options.initialShas[service] ?? '0000000';
        this.#slots.set(key(service, environment), { service, environment, sha, brokenShas: new Set() });
      }
    }
  }

  /** The sandbox server's origin, for the health URLs shown on the page. */
  setOrigin(origin: string): void {
    this.#origin = origin;
  }

  targets(): DemoTarget[] {
    return [...this.#slots.values()].map((slot) => ({
      service: slot.service,
      environment: slot.environment,
      sha: slot.sha,
      broken: slot.brokenShas.has(slot.sha),
      url: `${this.#origin}/demo/${slot.service}/${slot.environment}/health`,
    }));
  }

  target(service: string, environment: string): DemoTarget | undefined {
    const slot = this.#slot(service, environment);
    return slot && this.targets().find((t) => t.service === slot.service && t.environment === slot.environment);
  }

  /** What the deploy script asks for: from now on, serve this commit. */
  release(service: string, environment: string, sha: string, deployId?: number): string {
    const slot = this.#require(service, environment);
    const previous = slot.sha;
    slot.sha = sha;
    const line = `released ${sha.slice(0, 7)} (was ${previous.slice(0, 7)})${deployId === undefined ? '' : ` by tugboat deploy #${deployId}`}`;
    this.#record(slot, line);
    if (slot.brokenShas.has(sha)) this.#record(slot, `${sha.slice(0, 7)} is a broken build: health checks will fail`);
    this.#onChange();
    return line;
  }

  /** `broken: true` breaks the commit serving now; `false` repairs every broken commit of that slot. */
  setBroken(service: string, environment: string, broken: boolean): void {
    const slot = this.#require(service, environment);
    if (broken) slot.brokenShas.add(slot.sha);
    else slot.brokenShas.clear();
    this.#record(
      slot,
      broken ? `production broken: ${slot.sha.slice(0, 7)} now answers 500` : 'repaired: every build answers 200 again',
    );
    this.#onChange();
  }

  logs(filter: { service?: string; environment?: string; from?: Date; to?: Date }): DemoLogLine[] {
    return this.#log.filter(
      (line) =>
        (!filter.service || line.service === filter.service) &&
        (!filter.environment || line.environment === filter.environment) &&
        (!filter.from || line.at >= filter.from) &&
        (!filter.to || line.at <= filter.to),
    );
  }

  /** `/demo/…` and `/logs`; false when the path is not the demo service's. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const health = /^\/demo\/([^/]+)\/([^/]+)\/health$/.exec(url.pathname);
    if (health && (req.method === 'GET' || req.method === 'HEAD')) {
      this.#answerHealth(res, decodeURIComponent(health[1]), decodeURIComponent(health[2]));
      return true;
    }
    if (url.pathname === '/demo/deploy' && req.method === 'POST') {
      await this.#answerDeploy(req, res);
      return true;
    }
    if (url.pathname === '/logs' && req.method === 'GET') {
      this.#answerLogs(res, url.searchParams);
      return true;
    }
    return false;
  }

  #answerHealth(res: ServerResponse, service: string, environment: string): void {
    const slot = this.#slot(service, environment);
    if (!slot)
      return sendError(res, 404, `The demo service has no ${service} in ${environment}; it serves ${this.#names()}.`);
    const broken = slot.brokenShas.has(slot.sha);
    this.#record(slot, `GET /health → ${broken ? 500 : 200}`);
    if (broken)
      return sendJson(res, 500, { error: `${slot.service} ${slot.sha.slice(0, 7)} is broken`, version: slot.sha });
    sendJson(res, 200, { status: 'ok', service: slot.service, environment: slot.environment, version: slot.sha });
  }

  async #answerDeploy(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req, res, deployBody);
    if (!body) return;
    const slot = this.#slot(body.service, body.environment);
    if (!slot)
      return sendError(
        res,
        400,
        `The demo service has no ${body.service} in ${body.environment}; it serves ${this.#names()}.`,
      );
    const log = [`Rolling out ${body.sha.slice(0, 7)} to ${slot.service} in ${slot.environment}…`];
    if (this.rolloutMs > 0) await sleep(this.rolloutMs);
    log.push(this.release(slot.service, slot.environment, body.sha.toLowerCase(), body.deploy_id));
    sendJson(res, 200, { ok: true, log });
  }

  #answerLogs(res: ServerResponse, query: URLSearchParams): void {
    const time = (name: string) => {
      const value = query.get(name);
      const date = value ? new Date(value) : undefined;
      return date && !Number.isNaN(date.getTime()) ? date : undefined;
    };
    const service = query.get('service') ?? undefined;
    const environment = query.get('env') ?? undefined;
    const slot = service && environment ? this.#slot(service, environment) : undefined;
    const lines = this.logs({
      service: slot?.service ?? service,
      environment: slot?.environment ?? environment,
      from: time('from'),
      to: time('to'),
    });
    const title = `Demo service logs${service ? ` of ${service}` : ''}${environment ? ` in ${environment}` : ''}${time('from') ? ` from ${time('from')!.toISOString()}` : ''}${time('to') ? ` to ${time('to')!.toISOString()}` : ''}`;
    const body = lines.map(
      (line) => `${line.at.toISOString()}  ${line.service}@${line.environment}  ${line.sha.slice(0, 7)}  ${line.text}`,
    );
    sendText(res, 200, [title, '', ...(body.length ? body : ['(nothing in this window)'])].join('\n') + '\n');
  }

  #record(slot: Slot, text: string): void {
    this.#log.push({ at: new Date(), service: slot.service, environment: slot.environment, sha: slot.sha, text });
    if (this.#log.length > MAX_LOG_LINES) this.#log.splice(0, this.#log.length - MAX_LOG_LINES);
  }

  /** Environments by name or alias, ignoring case, as everywhere in tugboat. */
  #slot(service: string, environment: string): Slot | undefined {
    const config = this.#config();
    const envName = Object.entries(config.environments).find(
      ([name, settings]) =>
        name.toLowerCase() === environment.toLowerCase() ||
        settings.aliases.some((a) => a.toLowerCase() === environment.toLowerCase()),
    )?.[0];
    const serviceName = Object.keys(config.services).find((name) => name.toLowerCase() === service.toLowerCase());
    return serviceName && envName ? this.#slots.get(key(serviceName, envName)) : undefined;
  }

  #require(service: string, environment: string): Slot {
    const slot = this.#slot(service, environment);
    if (!slot) throw new DemoError(`The demo service has no ${service} in ${environment}; it serves ${this.#names()}.`);
    return slot;
  }

  #names(): string {
    return [...this.#slots.values()].map((slot) => `${slot.service} in ${slot.environment}`).join(', ');
  }
}

/** A request the demo service cannot do, in a sentence for the page. */
export class DemoError extends Error {}

function key(service: string, environment: string): string {
  return `${service}\u0000${environment}`;
}
