import type { Config } from './config/index.ts';
import type { Deployer } from './deploys/deployer.ts';
import type { GitHub } from './github/client.ts';
import type { IncidentResponder } from './incidents/index.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { SlackPoster } from './slack/poster.ts';
import type { CommitLinks } from './slack/render/deploys.ts';
import type { Store } from './store/index.ts';

/** What every command, listener and job is handed. `config()` is a getter: SIGHUP swaps it. */
export interface Deps {
  store: Store;
  config(): Config;
  slack: SlackPoster;
  now(): Date;
  log: Logger;
  metrics: Metrics;
  github: GitHub;
  deployer: Deployer;
  incidents: IncidentResponder;
  /** Links to commits on GitHub's web UI. */
  links: CommitLinks;
}
