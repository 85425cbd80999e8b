import { formatDuration } from '../../config/index.ts';

/** Why an executor was stopped, from an AbortSignal's reason. */
export function describeAbortReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message || reason.name;
  if (reason === undefined) return 'aborted';
  return String(reason);
}

/** Like formatDuration, but sub-second timeouts (tests use them) read as milliseconds. */
export function humanDuration(milliseconds: number): string {
  return milliseconds < 1_000 ? `${milliseconds}ms` : formatDuration(milliseconds);
}
