import { environmentSpellings, findEnvironment, findService, listEnvironments } from './names.ts';
import type { KeyPath, Problem, Validated } from './problems.ts';
import type { ChannelBinding, Config, ServiceConfig } from './schema.ts';
import { suggest } from './wording.ts';

// Checks that the names used across tugboat.yml refer to each other correctly, and rewrites every
// reference to an environment (any case, or an alias) as that environment's canonical key.

// Names are typed in slash commands, where spaces separate arguments and `@` joins service and environment.
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NAME_RULE = 'use letters, digits, ".", "-" or "_", starting with a letter or digit';

export function checkReferences(config: Config): Validated<Config> {
  const problems: Problem[] = [...checkEnvironmentNames(config.environments), ...checkServiceNames(config.services)];
  const services: Config['services'] = {};
  for (const [name, service] of Object.entries(config.services)) {
    services[name] = resolveServiceReferences(config, name, service, problems);
  }
  const channels: Config['channels'] = {};
  for (const [channel, binding] of Object.entries(config.channels)) {
    channels[channel] = resolveChannelBinding(config, services, channel, binding, problems);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { ...config, services, channels } };
}

function reservedOrMalformed(name: string): string | undefined {
  if (name.toLowerCase() === 'all') return '"all" is reserved: it means every environment, as in /lock all';
  if (!NAME_PATTERN.test(name)) return `${JSON.stringify(name)} is not a usable name: ${NAME_RULE}`;
  return undefined;
}

function checkEnvironmentNames(environments: Config['environments']): Problem[] {
  const problems: Problem[] = [];
  const owners = new Map<string, { environment: string; isAlias: boolean }>();
  for (const name of Object.keys(environments)) {
    const path = ['environments', name];
    const malformed = reservedOrMalformed(name);
    const clash = owners.get(name.toLowerCase());
    if (malformed) problems.push({ path, message: malformed });
    else if (clash)
      problems.push({
        path,
        message: `clashes with environment ${clash.environment} (names are matched ignoring case)`,
      });
    else owners.set(name.toLowerCase(), { environment: name, isAlias: false });
  }
  for (const [name, environment] of Object.entries(environments)) {
    environment.aliases.forEach((alias, index) => {
      const path = ['environments', name, 'aliases', index];
      const malformed = reservedOrMalformed(alias);
      const owner = owners.get(alias.toLowerCase());
      if (malformed) problems.push({ path, message: malformed });
      else if (!owner) owners.set(alias.toLowerCase(), { environment: name, isAlias: true });
      else if (owner.environment !== name) {
        const taken = owner.isAlias
          ? `an alias of environment ${owner.environment}`
          : `the name of environment ${owner.environment}`;
        problems.push({ path, message: `alias ${alias} is already ${taken} (names are matched ignoring case)` });
      }
    });
  }
  return problems;
}

function checkServiceNames(services: Config['services']): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, string>();
  for (const name of Object.keys(services)) {
    const path = ['services', name];
    const clash = seen.get(name.toLowerCase());
    const malformed = reservedOrMalformed(name);
    if (name.includes('@')) {
      problems.push({
        path,
        message: 'a service name cannot contain @, which joins service and environment as in /lock api@production',
      });
    } else if (malformed) {
      problems.push({ path, message: malformed });
    } else if (clash) {
      problems.push({ path, message: `clashes with service ${clash} (names are matched ignoring case)` });
    }
    seen.set(name.toLowerCase(), name);
  }
  return problems;
}

function resolveServiceReferences(
  config: Config,
  name: string,
  service: ServiceConfig,
  problems: Problem[],
): ServiceConfig {
  const servicePath = ['services', name];
  const environments: string[] = [];
  service.environments.forEach((text, index) => {
    const path = [...servicePath, 'environments', index];
    const environment = resolveEnvironmentAt(config, text, path, problems);
    if (environment === undefined) return;
    if (environments.includes(environment)) problems.push({ path, message: `lists environment ${environment} twice` });
    else environments.push(environment);
  });
  // With an unknown name in the list, "does not deploy to" would only repeat that problem.
  const knownEnvironments = environments.length === service.environments.length ? environments : undefined;
  const deploysTo = (text: string, path: KeyPath) =>
    resolveDeployTarget(config, name, knownEnvironments, text, path, problems);

  const smoke: ServiceConfig['smoke'] = {};
  for (const [text, checks] of Object.entries(service.smoke)) {
    const path = [...servicePath, 'smoke', text];
    const environment = deploysTo(text, path);
    if (environment === undefined) continue;
    if (environment in smoke) problems.push({ path, message: `repeats the smoke tests of environment ${environment}` });
    smoke[environment] = checks;
  }

  const autoDeploy = service.auto_deploy && {
    ...service.auto_deploy,
    environment:
      deploysTo(service.auto_deploy.environment, [...servicePath, 'auto_deploy', 'environment']) ??
      service.auto_deploy.environment,
  };
  return { ...service, environments, smoke, auto_deploy: autoDeploy };
}

function resolveChannelBinding(
  config: Config,
  resolvedServices: Config['services'],
  channel: string,
  binding: ChannelBinding,
  problems: Problem[],
): ChannelBinding {
  const path = ['channels', channel];
  const resolved: ChannelBinding = {};
  if (binding.service !== undefined) {
    resolved.service = resolveServiceAt(config, binding.service, [...path, 'service'], problems);
  }
  if (binding.environment !== undefined) {
    const environmentPath = [...path, 'environment'];
    resolved.environment = resolved.service
      ? resolveDeployTarget(
          config,
          resolved.service,
          resolvedServices[resolved.service].environments,
          binding.environment,
          environmentPath,
          problems,
        )
      : resolveEnvironmentAt(config, binding.environment, environmentPath, problems);
  }
  return resolved;
}

/** An environment the service deploys to (`environments` must already be canonical; undefined skips that check). */
function resolveDeployTarget(
  config: Config,
  service: string,
  environments: readonly string[] | undefined,
  text: string,
  path: KeyPath,
  problems: Problem[],
): string | undefined {
  const environment = resolveEnvironmentAt(config, text, path, problems);
  if (environment === undefined || !environments || environments.includes(environment)) return environment;
  problems.push({
    path,
    message: `service ${service} does not deploy to ${environment}; its environments are ${environments.join(', ')}`,
  });
  return undefined;
}

function resolveEnvironmentAt(config: Config, text: string, path: KeyPath, problems: Problem[]): string | undefined {
  const environment = findEnvironment(config.environments, text);
  if (environment !== undefined) return environment;
  const guess = suggest(text, environmentSpellings(config.environments));
  const didYouMean = guess ? `did you mean ${guess}? ` : '';
  const valid = listEnvironments(config.environments, (name) => name);
  problems.push({ path, message: `unknown environment ${JSON.stringify(text)}; ${didYouMean}Environments: ${valid}` });
  return undefined;
}

function resolveServiceAt(config: Config, text: string, path: KeyPath, problems: Problem[]): string | undefined {
  const service = findService(config.services, text);
  if (service !== undefined) return service;
  const names = Object.keys(config.services);
  const guess = suggest(text, names);
  const didYouMean = guess ? `did you mean ${guess}? ` : '';
  problems.push({
    path,
    message: `unknown service ${JSON.stringify(text)}; ${didYouMean}Services: ${names.join(', ')}`,
  });
  return undefined;
}
