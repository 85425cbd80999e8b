/**
 * PostgreSQL could not be reached, or dropped the connection mid-statement (a restart, a failover,
 * a network cut). Whatever was being done was not done; the same request can be tried again once
 * the database is back, which the pool notices by itself on its next connection.
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`tugboat cannot reach its database: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

export const isDatabaseUnavailable = (error: unknown): error is DatabaseUnavailableError =>
  error instanceof DatabaseUnavailableError;

/** Socket-level failures: refused, reset, unreachable, timed out, name not resolved. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server going away or not serving yet: class 08 (connection exception), 57P01–57P03
 * (shut down by an administrator, crash, cannot connect now), and 25006 (read-only transaction:
 * after a failover the address still leads to the old primary, now a standby).
 */
const isUnavailableSqlState = (code: string) =>
  code.startsWith('08') || ['57P01', '57P02', '57P03', '25006'].includes(code);

/** What node-postgres says when a connection drops, cannot be made in time, or a statement gets no answer. */
const DROPPED_CONNECTION =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|timeout expired|Query read timeout/i;

function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || isUnavailableSqlState(code))) return true;
  if (error instanceof AggregateError) return error.errors.some(isConnectionFailure);
  return DROPPED_CONNECTION.test(error.message);
}

/** The error as it should travel up: a connection failure becomes a DatabaseUnavailableError. */
export function asUnavailable(error: unknown): unknown {
  return isDatabaseUnavailable(error) || !isConnectionFailure(error) ? error : new DatabaseUnavailableError(error);
}
