export type Predicate<T> = (item: T) => boolean;

interface Waiter<T> {
  matches: Predicate<T>;
  resolve: (item: T) => void;
}

/** An append-only log of what a fake received, which tests can wait on. */
export class Recorder<T> {
  readonly #items: T[] = [];
  readonly #waiters = new Set<Waiter<T>>();

  get items(): readonly T[] {
    return this.#items;
  }

  add(item: T): void {
    this.#items.push(item);
    for (const waiter of this.#waiters) {
      if (safelyMatches(waiter.matches, item)) {
        this.#waiters.delete(waiter);
        waiter.resolve(item);
      }
    }
  }

  clear(): void {
    this.#items.length = 0;
  }

  /** Resolves with the first recorded item that matches, waiting for one if none has arrived yet. */
  waitFor(matches: Predicate<T>, timeoutMs: number, describeTimeout: () => string): Promise<T> {
    const recorded = this.#items.find((item) => safelyMatches(matches, item));
    if (recorded !== undefined) return Promise.resolve(recorded);
    return new Promise((resolve, reject) => {
      const waiter: Waiter<T> = {
        matches,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`Timed out after ${timeoutMs} ms: ${describeTimeout()}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }
}

// A predicate that throws on an unexpected shape (e.g. reading a missing field) simply does not match.
function safelyMatches<T>(matches: Predicate<T>, item: T): boolean {
  try {
    return matches(item);
  } catch {
    return false;
  }
}

export interface FakeChange {
  /** What changed the state: an API method or route, `response_url`, `seed` or `reset`. */
  reason: string;
}

export type ChangeListener = (change: FakeChange) => void;

/** Tells listeners (e.g. the sandbox page) that a fake's state changed. */
export class ChangeFeed {
  readonly #listeners = new Set<ChangeListener>();

  on(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(reason: string): void {
    for (const listener of this.#listeners) listener({ reason });
  }
}

/** One line per recorded item, shortened, for timeout messages. */
export function listForHumans(lines: string[]): string {
  if (lines.length === 0) return '(none)';
  return lines.map((line) => `\n  - ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`).join('');
}
