import type { Config } from './config/index.ts';
import type { GitHub } from './github/client.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { SlackPoster } from './slack/poster.ts';
import type { Store } from './store/index.ts';

/**
 * The infrastructure commands, listeners and jobs are built on; each declares the `Pick<…>` it uses.
 * Domain services (the deployer, the incident responder) are not here: they are passed to what uses them.
 * `config()` is a getter: SIGHUP swaps it.
 */
export interface Deps {
  store: Store;
  config(): Config;
  slack: SlackPoster;
  now(): Date;
  log: Logger;
  metrics: Metrics;
  github: GitHub;
}
