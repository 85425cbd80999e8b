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
  /** Aborted when the deploy must stop (cancelled, superseded by a rollback, shutdown). */
  signal: AbortSignal;
}

/**
 * `finished`: the executor ran the deploy itself and knows how it went.
 * `handed-off`: the deploy runs elsewhere (GitHub, a CI server); its outcome will arrive
 * later through a webhook or callback, matched by `externalId` or the deploy id.
 */
export type ExecutorOutcome =
  | { kind: 'finished'; succeeded: boolean; reason?: string; outputTail?: string; timedOut?: boolean }
  | { kind: 'handed-off'; externalId?: string; detail?: string };

/** A deploy handed to GitHub or a receiver: the job, and the GitHub object it was given when known. */
export interface HandedOffJob extends DeployJob {
  externalId?: string;
}

/** What GitHub says of a handed-off deploy: its outcome, or (still running) a line on where it stands. */
export type Reconciled = { outcome: { succeeded: boolean; detail?: string; logUrl?: string } } | { pending: string };

/** Why tugboat stops a handed-off deploy: it tells the runner so differently (GitHub: `inactive` or `error`). */
export type StopCause = 'cancelled' | 'timed_out' | 'superseded';

export interface Executor {
  start(job: DeployJob, context: ExecutorContext): Promise<ExecutorOutcome>;
  /** Asks GitHub where a handed-off deploy stands, before tugboat declares it lost. */
  reconcile?(job: HandedOffJob): Promise<Reconciled>;
  /** Tells whatever runs a handed-off deploy that tugboat stopped it; returns a line for its thread. */
  stop?(job: HandedOffJob, cause: StopCause): Promise<string>;
}
