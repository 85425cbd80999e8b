import type { Config } from './schema.ts';
import { suggest } from './wording.ts';

export type NameResolution = { ok: true; name: string } | { ok: false; message: string };

/** The canonical environment named by `text` (its name or an alias, in any case). */
export function findEnvironment(environments: Config['environments'], text: string): string | undefined {
  const wanted = text.trim().toLowerCase();
  for (const [name, environment] of Object.entries(environments)) {
    if (name.toLowerCase() === wanted) return name;
    if (environment.aliases.some((alias) => alias.toLowerCase() === wanted)) return name;
  }
  return undefined;
}

/** The canonical service named by `text`, in any case. */
export function findService(services: Config['services'], text: string): string | undefined {
  const wanted = text.trim().toLowerCase();
  return Object.keys(services).find((name) => name.toLowerCase() === wanted);
}

/** Every name and alias an environment can be called by. */
export function environmentSpellings(environments: Config['environments']): string[] {
  return Object.entries(environments).flatMap(([name, environment]) => [name, ...environment.aliases]);
}

/** `staging, production (prod)` with each name passed through `quote`. */
export function listEnvironments(environments: Config['environments'], quote: (name: string) => string): string {
  return Object.entries(environments)
    .map(([name, environment]) => {
      const aliases = environment.aliases.map(quote).join(', ');
      return aliases ? `${quote(name)} (${aliases})` : quote(name);
    })
    .join(', ');
}

export function resolveEnvironment(config: Config, text: string): NameResolution {
  const name = findEnvironment(config.environments, text);
  if (name !== undefined) return { ok: true, name };
  const valid = `Valid environments: ${listEnvironments(config.environments, code)}.`;
  return {
    ok: false,
    message: unknownNameMessage('environment', text, environmentSpellings(config.environments), valid),
  };
}

export function resolveService(config: Config, text: string): NameResolution {
  const name = findService(config.services, text);
  if (name !== undefined) return { ok: true, name };
  const names = Object.keys(config.services);
  const valid = `Valid services: ${names.map(code).join(', ')}.`;
  return { ok: false, message: unknownNameMessage('service', text, names, valid) };
}

/** The canonical environment names a service deploys to, or [] for an unknown service. */
export function environmentsOf(config: Config, service: string): string[] {
  const name = findService(config.services, service);
  return name === undefined ? [] : [...config.services[name].environments];
}

/**
 * What of a row's service and environment tugboat.yml no longer names since a reload: the service,
 * the environment, or the service's deploying there (`environments:`); undefined while both stand.
 */
export function removedFromConfig(
  config: Config,
  service: string,
  environment: string,
): 'service' | 'environment' | undefined {
  if (!config.services[service]) return 'service';
  if (!config.environments[environment] || !config.services[service].environments.includes(environment))
    return 'environment';
  return undefined;
}

function unknownNameMessage(kind: string, text: string, candidates: string[], valid: string): string {
  const typed = text.trim();
  if (typed === '') return `Which ${kind}? ${valid}`;
  const guess = suggest(typed, candidates);
  const didYouMean = guess === undefined ? '' : ` Did you mean ${code(guess)}?`;
  return `Unknown ${kind} ${code(typed)}.${didYouMean} ${valid}`;
}

/** Slack inline code; what the user typed is echoed back, so it must not break out of the formatting. */
function code(text: string): string {
  const shortened = text.length > 40 ? `${text.slice(0, 39)}…` : text;
  const safe = shortened.replaceAll('`', "'").replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  return `\`${safe}\``;
}
