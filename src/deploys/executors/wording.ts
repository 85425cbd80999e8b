/** Why an executor was stopped, from an AbortSignal's reason. */
export function describeAbortReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message || reason.name;
  if (reason === undefined) return 'aborted';
  return String(reason);
}
