import type { Config } from './config/index.ts';

export const isAdmin = (config: Config, userId: string) => config.admins.includes(userId);

/** Admins always; otherwise the environment's `deployers` allow-list, when it has one. */
export function mayActOn(config: Config, userId: string, environment: string): boolean {
  const deployers = config.environments[environment]?.deployers;
  return isAdmin(config, userId) || !deployers || deployers.includes(userId);
}
