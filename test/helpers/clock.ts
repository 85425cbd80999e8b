/** A settable clock, starting on a whole hour: tests move time instead of waiting for it. */
export class TestClock {
  constructor(public current = new Date('2026-11-20T15:00:00Z')) {}
  now = () => new Date(this.current);
  advance(ms: number): Date {
    this.current = new Date(this.current.getTime() + ms);
    return this.now();
  }
}

/** The wall clock, for replicas that coordinate through leases and schedulers that tick from node-cron. */
export class WallClock extends TestClock {
  override now = () => new Date();
}
