import type { Config } from '../config/index.ts';
import type { Lock } from './locks.ts';

/** Where a lock's changes are announced: where it was taken, and the channel of every environment it covers. */
export function lockChannels(config: Config, lock: Lock, alsoIn?: string): string[] {
  const environments = lock.scope.kind === 'all' ? Object.keys(config.environments) : [lock.scope.environment];
  const envChannels = environments.map((env) => config.environments[env]?.channel).filter((c): c is string => !!c);
  return [...new Set([lock.channel, ...envChannels, ...(alsoIn ? [alsoIn] : [])])];
}
