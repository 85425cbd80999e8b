/**
 * Group commit for single-row writes: items that arrive while a batch is being written are
 * written together by the next one (one statement, one round trip, one commit), so under load
 * the database's per-statement cost is shared, and when idle an item is written at once.
 * Up to `maxWriting` batches are written at the same time, so that one batch's commit (its
 * flush to disk) overlaps the next one's transfer and parsing. `runBatch` returns one result
 * per item, in order.
 */
export class Batcher<Item, Result> {
  #pending: Array<{ item: Item; resolve: (r: Result) => void; reject: (e: unknown) => void }> = [];
  #scheduled = false;
  #writing = 0;

  constructor(
    private readonly runBatch: (items: Item[]) => Promise<Result[]>,
    private readonly maxWriting = 1,
  ) {}

  /** A batch is being written or items wait for one. */
  get busy(): boolean {
    return this.#writing > 0 || this.#pending.length > 0;
  }

  add(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#scheduled && this.#writing < this.maxWriting) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    this.#writing++;
    try {
      const results = await this.runBatch(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (error) {
      batch.forEach((p) => p.reject(error));
    } finally {
      this.#writing--;
      if (this.#pending.length > 0 && !this.#scheduled) void this.#flush();
    }
  }
}
