export type { ChannelBinding, Config, DeployMethod, EnvironmentConfig, ServiceConfig, SmokeCheck } from './schema.ts';
export type { NameResolution } from './names.ts';
export { ConfigError, loadConfig, parseConfig } from './load.ts';
export { formatDuration, humanDuration, parseDuration } from './duration.ts';
export { environmentsOf, removedFromConfig, resolveEnvironment, resolveService } from './names.ts';
