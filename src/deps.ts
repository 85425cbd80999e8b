import type { Config } from './config/index.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { SlackPoster } from './slack/poster.ts';
import type { Store } from './store/index.ts';

/** What every command, listener and job is handed. `config()` is a getter: SIGHUP swaps it. */
export interface Deps {
  store: Store;
  config(): Config;
  slack: SlackPoster;
  now(): Date;
  log: Logger;
  metrics: Metrics;
}
