/**
 * Bounded intake: how much unverified request body tugboat holds in memory at once, and how
 * long a client may take to send a request. Bodies are unverified until their signature is
 * checked, and anyone can send one, so what they may cost is bounded before a byte is read.
 */
export interface IntakeLimits {
  /** Body bytes held across all requests at once; a request that would pass it gets 503. */
  budgetBytes: number;
  /** A body over this size is "large"; `/slack/events` takes nothing larger. */
  smallBodyBytes: number;
  /**
   * The part of the budget only small bodies may use, so that a flood of large uploads still
   * leaves room for Slack's requests and for ordinary GitHub deliveries (a few KB each).
   */
  reservedForSmallBytes: number;
  /** Per route: GitHub sends payloads of up to 25 MB and never more. */
  githubBytes: number;
  slackBytes: number;
  deployCallbackBytes: number;
  /** Time to receive a request's headers; slow-loris clients are cut off here (408). */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** How often Node checks the two timeouts above; they are enforced to within this. */
  timeoutCheckIntervalMs: number;
}

const MB = 1024 * 1024;

export const DEFAULT_INTAKE_LIMITS: IntakeLimits = {
  budgetBytes: 64 * MB,
  smallBodyBytes: 1 * MB,
  reservedForSmallBytes: 16 * MB,
  githubBytes: 25 * MB,
  // Slack's largest requests, view submissions and block actions carrying a whole modal, are
  // tens of KB; 1 MB leaves a wide margin and is a quarter of Bolt's own default limit.
  slackBytes: 1 * MB,
  // A signed deploy status: a few hundred bytes.
  deployCallbackBytes: 64 * 1024,
  headersTimeoutMs: 10_000,
  // GitHub gives up on a delivery after 10 s (30 s on GHES); no honest client needs longer.
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  timeoutCheckIntervalMs: 1_000,
};

/** A request's claim on the budget: its declared length, or what has arrived of a chunked body. */
export interface Reservation {
  /** Grows the claim to `bytes` in all; false, and unchanged, when the budget cannot take it. */
  growTo(bytes: number): boolean;
  /** Gives the claim back; once only, however often it is called. */
  release(): void;
}

export interface IntakeBudget {
  /** A claim on `bytes` (0 for a chunked body), or undefined when the budget is spent. */
  reserve(bytes: number): Reservation | undefined;
  heldBytes(): number;
}

export function createIntakeBudget(
  limits: Pick<IntakeLimits, 'budgetBytes' | 'smallBodyBytes' | 'reservedForSmallBytes'>,
): IntakeBudget {
  let held = 0;
  const ceilingFor = (requestBytes: number) =>
    requestBytes > limits.smallBodyBytes ? limits.budgetBytes - limits.reservedForSmallBytes : limits.budgetBytes;

  return {
    heldBytes: () => held,
    reserve(bytes) {
      let claimed = 0;
      let released = false;
      const reservation: Reservation = {
        growTo(total) {
          const more = total - claimed;
          if (released || more <= 0) return !released;
          if (held + more > ceilingFor(total)) return false;
          held += more;
          claimed = total;
          return true;
        },
        release() {
          if (released) return;
          released = true;
          held -= claimed;
        },
      };
      return reservation.growTo(bytes) ? reservation : undefined;
    },
  };
}
