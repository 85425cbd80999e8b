import { environmentsOf, resolveEnvironment, resolveService, type Config } from '../src/config/index.ts';
import type { LockScope } from '../src/locks/index.ts';
import { code } from '../src/slack/render/format.ts';

export type TargetResult = { ok: true; scope: LockScope } | { ok: false; message: string };

const USAGE = '`<environment>`, `<service>@<environment>` or `all`';

/**
 * Reads the target of `/lock` and `/unlock`: `all`, an environment, `service@environment`,
 * or nothing, meaning the channel's binding in `channels:`.
 */
export function resolveLockTarget(
  config: Config,
  token: string | undefined,
  channelId: string,
  command: string,
): TargetResult {
  if (!token) return fromChannelBinding(config, channelId, command);
  if (token.toLowerCase() === 'all') return { ok: true, scope: { kind: 'all' } };
  const at = token.indexOf('@');
  if (at >= 0) return serviceInEnvironment(config, token.slice(0, at), token.slice(at + 1));
  const environment = resolveEnvironment(config, token);
  if (environment.ok) return { ok: true, scope: { kind: 'environment', environment: environment.name } };
  const service = resolveService(config, token);
  if (service.ok) {
    const example = environmentsOf(config, service.name)[0] ?? 'production';
    return {
      ok: false,
      message: `${code(token)} is a service: name its environment too, e.g. ${code(`${command} ${service.name}@${example}`)}.`,
    };
  }
  return environment;
}

function serviceInEnvironment(config: Config, serviceText: string, environmentText: string): TargetResult {
  const service = resolveService(config, serviceText);
  if (!service.ok) return service;
  const environment = resolveEnvironment(config, environmentText);
  if (!environment.ok) return environment;
  const deploysTo = environmentsOf(config, service.name);
  if (!deploysTo.includes(environment.name)) {
    return {
      ok: false,
      message: `${code(service.name)} does not deploy to ${code(environment.name)}; it deploys to ${deploysTo.map(code).join(', ')}.`,
    };
  }
  return { ok: true, scope: { kind: 'service', environment: environment.name, service: service.name } };
}

function fromChannelBinding(config: Config, channelId: string, command: string): TargetResult {
  const binding = config.channels[channelId];
  if (!binding?.environment) {
    return {
      ok: false,
      message: `Say what to ${command.slice(1)}: ${code(`${command} ${USAGE.replace(/`/g, '')}`)}. This channel has no default target (\`channels:\` in tugboat.yml).`,
    };
  }
  const scope: LockScope = binding.service
    ? { kind: 'service', environment: binding.environment, service: binding.service }
    : { kind: 'environment', environment: binding.environment };
  return { ok: true, scope };
}
