import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { InFlight } from '../in-flight.ts';
import { Batcher } from '../store/batcher.ts';
import type { Queryable } from '../store/index.ts';
import {
  claimDueDeliveries,
  recordOutcomes,
  renewLeases,
  storeDeliveries,
  type ClaimedDelivery,
  type IncomingDelivery,
  type Outcome,
  type ReceivedDelivery,
} from './deliveries.ts';

export interface InboxOptions {
  /** How long a claim lasts: a delivery whose replica died is handled again this long after it was claimed. */
  leaseMs: number;
  /** How often the leases of deliveries still being handled are renewed: well within `leaseMs`. */
  renewMs: number;
  /** How often each replica looks for deliveries due again (retries, lapsed leases). */
  pollMs: number;
  /** Handlers run at once on this replica. */
  concurrency: number;
  /** Attempts before a delivery is failed for good (then only Redeliver runs it again). */
  maxAttempts: number;
  /** The wait after the first failed attempt; it doubles after each further one. */
  retryBaseMs: number;
}

export const DEFAULT_INBOX_OPTIONS: InboxOptions = {
  leaseMs: 60_000,
  renewMs: 20_000,
  pollMs: 1_000,
  concurrency: 32,
  maxAttempts: 5,
  retryBaseMs: 10_000,
};

/** Batches of deliveries stored at the same time (see Batcher): one batch's commit overlaps the next one's transfer. */
const STORES_AT_ONCE = 4;

/** A delivery whose body cannot be parsed is failed at once: no retry would parse it. */
class MalformedDelivery extends Error {}

/**
 * The durable webhook inbox. `accept` stores a delivery (group commit: concurrent deliveries
 * share one insert) and resolves once it is durable. While this replica has a free handler,
 * the delivery is stored already claimed by it and handled at once from memory; otherwise it
 * waits in the inbox. Every replica also polls for deliveries due: waiting, to be retried, or
 * claimed by a replica whose lease lapsed (it died). Each attempt runs `handle` and records
 * its outcome: done, retried later with backoff, or failed for good.
 *
 * Intake comes first: a delivery that arrives while others are being stored (a burst) is
 * left in the inbox rather than handled at once, and while deliveries keep arriving the inbox
 * is claimed from once per poll only. Under load, handling lags behind intake, which keeps
 * the path that answers GitHub short; it catches up as soon as the burst is over.
 */
export class WebhookInbox {
  readonly #stores: Batcher<IncomingDelivery, boolean>;
  readonly #outcomes: Batcher<Outcome, void>;
  readonly #options: InboxOptions;
  #running = 0;
  /** Deliveries being handled here, whose leases `#renewal` extends until their outcome is recorded. */
  readonly #handling = new Set<ClaimedDelivery>();
  #renewal: NodeJS.Timeout | undefined;
  #claiming = false;
  #wanted = false;
  #stopped = false;
  #poll: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: { store: Queryable; log: Logger; metrics: Metrics; inFlight: InFlight },
    private readonly handle: (delivery: ClaimedDelivery, payload: unknown) => Promise<void>,
    options: Partial<InboxOptions> = {},
  ) {
    this.#options = { ...DEFAULT_INBOX_OPTIONS, ...options };
    this.#stores = new Batcher(
      (deliveries) => storeDeliveries(deps.store, deliveries, this.#options.leaseMs),
      STORES_AT_ONCE,
    );
    this.#outcomes = new Batcher((outcomes) => recordOutcomes(deps.store, outcomes));
  }

  /** True when the delivery is now to be handled; false for a redelivery that is ignored. */
  async accept(delivery: ReceivedDelivery): Promise<boolean> {
    // A handler slot is held while the delivery is stored, and freed if it turns out a redelivery.
    const claimed = this.#hasFreeHandler() && !this.#stores.busy;
    if (claimed) this.#running++;
    let stored = false;
    try {
      stored = await this.#stores.add({ ...delivery, claimed });
    } finally {
      if (claimed && !stored) this.#running--;
    }
    if (claimed && stored) this.#run({ ...delivery, attempts: 1 });
    else if (stored) this.#kick();
    return stored;
  }

  /** Starts polling for deliveries due again: retries, and those of replicas that died. */
  start(): void {
    this.#poll ??= setInterval(() => this.#claimNow(), this.#options.pollMs).unref();
    this.#claimNow();
  }

  /** Claims nothing more; deliveries still being handled finish, or their leases lapse. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#poll);
  }

  #hasFreeHandler(): boolean {
    return !this.#stopped && this.#running < this.#options.concurrency;
  }

  /** Deliveries wait in the inbox: claim them now, unless intake is busy (then the next poll does). */
  #kick(): void {
    this.#wanted = true;
    if (!this.#stores.busy) this.#claimSoon();
  }

  #claimNow(): void {
    this.#wanted = true;
    this.#claimSoon();
  }

  #claimSoon(): void {
    void this.deps.inFlight.track(this.#claimWhileWanted());
  }

  async #claimWhileWanted(): Promise<void> {
    if (this.#claiming) return;
    this.#claiming = true;
    try {
      while (this.#wanted && this.#hasFreeHandler()) {
        this.#wanted = false;
        const room = this.#options.concurrency - this.#running;
        const claimed = await claimDueDeliveries(this.deps.store, room, this.#options.leaseMs);
        this.#running += claimed.length;
        for (const delivery of claimed) this.#run(delivery);
        // A full claim may have left more behind.
        if (claimed.length === room) this.#wanted = true;
        if (this.#stores.busy) break;
      }
    } catch (error) {
      this.deps.log.error({ err: error }, 'could not claim webhook deliveries; the next poll tries again');
    } finally {
      this.#claiming = false;
    }
  }

  /** Runs an attempt in a handler slot already counted in `#running`; its lease is renewed until it ends. */
  #run(delivery: ClaimedDelivery): void {
    this.#handling.add(delivery);
    this.#renewal ??= setInterval(() => this.#renewLeases(), this.#options.renewMs).unref();
    const work = this.#attempt(delivery).finally(() => {
      this.#handling.delete(delivery);
      if (this.#handling.size === 0) {
        clearInterval(this.#renewal);
        this.#renewal = undefined;
      }
      this.#running--;
      // Claim more only if some are known to wait (all slots were busy when they came).
      if (this.#wanted) this.#kick();
    });
    void this.deps.inFlight.track(work);
  }

  /** A handler that runs longer than a lease keeps its delivery: no other replica claims it meanwhile. */
  #renewLeases(): void {
    const deliveries = [...this.#handling];
    const renewed = renewLeases(this.deps.store, deliveries, this.#options.leaseMs).catch((error) =>
      this.deps.log.warn(
        { err: error, deliveries: deliveries.length },
        'could not renew the leases of webhook deliveries being handled; the next renewal tries again',
      ),
    );
    void this.deps.inFlight.track(renewed);
  }

  async #attempt(delivery: ClaimedDelivery): Promise<void> {
    const { log, metrics } = this.deps;
    const context = { delivery: delivery.id, event: delivery.event, attempt: delivery.attempts };
    let outcome: Outcome;
    try {
      await this.handle(delivery, parse(delivery.body));
      outcome = { delivery, kind: 'done' };
      metrics.webhookDeliveries.inc({ event: delivery.event, outcome: 'handled' });
    } catch (error) {
      const message = String((error as Error)?.message ?? error);
      if (error instanceof MalformedDelivery || delivery.attempts >= this.#options.maxAttempts) {
        outcome = { delivery, kind: 'failed', error: message };
        metrics.webhookDeliveries.inc({ event: delivery.event, outcome: 'failed' });
        log.error({ err: error, ...context }, 'webhook handler failed for good; Redeliver in GitHub runs it again');
      } else {
        const retryInMs = this.#options.retryBaseMs * 2 ** (delivery.attempts - 1);
        outcome = { delivery, kind: 'retry', error: message, retryInMs };
        metrics.webhookDeliveries.inc({ event: delivery.event, outcome: 'retried' });
        log.warn({ err: error, ...context, retryInMs }, 'webhook handler failed; it will be retried');
      }
    }
    await this.#outcomes
      .add(outcome)
      .catch((error) =>
        log.error({ err: error, ...context }, 'could not record the outcome; the lease will lapse and it runs again'),
      );
  }
}

function parse(body: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    throw new MalformedDelivery('body is not JSON');
  }
}
