/** What an executor is told about the deploy it runs. */
export interface DeployJob {
  id: number;
  service: string;
  environment: string;
  repo: string;
  ref: string;
  sha: string;
  /** Slack user ID of whoever asked for it. */
  requestedBy: string;
  /** Set when this deploy rolls back deploy #rollbackOf. */
  rollbackOf?: number;
}

export interface ExecutorContext {
  /** A line of progress for the deploy's Slack thread (kept short; the thread is for people). */
  progress(line: string): Promise<void>;
  /** Aborted when the deploy must stop (shutdown, superseded by a rollback). */
  signal: AbortSignal;
}

/**
 * `finished`: the executor ran the deploy itself and knows how it went.
 * `handed-off`: the deploy runs elsewhere (GitHub, a CI server); its outcome will arrive
 * later through a webhook or callback, matched by `externalId` or the deploy id.
 */
export type ExecutorOutcome =
  | { kind: 'finished'; succeeded: boolean; reason?: string; outputTail?: string }
  | { kind: 'handed-off'; externalId?: string; detail?: string };

export interface Executor {
  start(job: DeployJob, context: ExecutorContext): Promise<ExecutorOutcome>;
}
