import { environmentsOf, resolveEnvironment, resolveService, type Config } from '../src/config/index.ts';
import { refProblem } from '../src/deploys/index.ts';
import { code } from '../src/slack/render/format.ts';
import { invalidRef } from '../src/slack/render/deploys.ts';

export type Target = { ok: true; service: string; environment: string } | { ok: false; message: string };

/**
 * The environment of `/deploy` and `/rollback`: the one named, else the channel's binding
 * (when it is one the service deploys to), else the service's first environment.
 */
export function resolveDeployTarget(
  config: Config,
  serviceText: string,
  environmentText: string | undefined,
  channelId: string,
): Target {
  const service = resolveService(config, serviceText);
  if (!service.ok) return service;
  const deploysTo = environmentsOf(config, service.name);
  let environment: string;
  if (environmentText) {
    const named = resolveEnvironment(config, environmentText);
    if (!named.ok) return named;
    environment = named.name;
  } else {
    const bound = config.channels[channelId]?.environment;
    environment = bound && deploysTo.includes(bound) ? bound : deploysTo[0];
  }
  if (!deploysTo.includes(environment)) {
    return {
      ok: false,
      message: `${code(service.name)} does not deploy to ${code(environment)}; it deploys to ${deploysTo.map(code).join(', ')}.`,
    };
  }
  return { ok: true, service: service.name, environment };
}

/** Splits off `--flags` wherever they stand; the rest are the words of the command. */
export function splitFlags(text: string): { words: string[]; flags: Set<string> } {
  const all = text.trim().split(/\s+/).filter(Boolean);
  return { words: all.filter((w) => !w.startsWith('--')), flags: new Set(all.filter((w) => w.startsWith('--'))) };
}

/** The one sentence that refuses a ref typed in a command, or undefined for a valid ref (or none). */
export function refRefusal(ref: string | undefined): string | undefined {
  if (ref === undefined) return undefined;
  const problem = refProblem(ref);
  return problem ? invalidRef(ref, problem) : undefined;
}
