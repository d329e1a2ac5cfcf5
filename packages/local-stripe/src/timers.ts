/**
 * The time that webhook delivery waits on (the `delayMs` hold and the retry backoff). Real timers by
 * default; a test passes `ManualTimers` so that "nothing is sent before the hold ends" is checked
 * by holding time still, not by sleeping a little and hoping the machine kept up.
 */
export interface DeliveryTimers {
  /** Calls `fire` once `ms` have passed on this clock (never synchronously); the result cancels it. */
  after(ms: number, fire: () => void): () => void;
}

export const realTimers: DeliveryTimers = {
  after(ms, fire) {
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  },
};

interface ManualWait {
  dueAt: number;
  fire: () => void;
}

/** Delivery timers that move only when told to: `advance(ms)` fires every wait that came due, soonest first. */
export class ManualTimers implements DeliveryTimers {
  private elapsedMs = 0;
  private readonly waits: ManualWait[] = [];
  private readonly watchers: { count: number; resolve: () => void }[] = [];

  after(ms: number, fire: () => void): () => void {
    const wait: ManualWait = { dueAt: this.elapsedMs + Math.max(0, ms), fire };
    this.waits.push(wait);
    this.notifyWatchers();
    return () => this.remove(wait);
  }

  /** What each pending wait still has to run (ms), soonest first. */
  pending(): number[] {
    return this.waits.map((w) => w.dueAt - this.elapsedMs).sort((a, b) => a - b);
  }

  /** Resolves as soon as at least `count` waits are pending: the event a test waits on instead of sleeping. */
  whenWaiting(count = 1): Promise<void> {
    if (this.waits.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push({ count, resolve }));
  }

  /** Moves this clock forward by `ms`, firing each wait that comes due, in due order. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance(ms) needs a finite, non-negative ms');
    const target = this.elapsedMs + ms;
    for (;;) {
      const due = this.waits.filter((w) => w.dueAt <= target).sort((a, b) => a.dueAt - b.dueAt)[0];
      if (due === undefined) break;
      this.remove(due);
      this.elapsedMs = due.dueAt;
      due.fire();
    }
    this.elapsedMs = target;
  }

  private remove(wait: ManualWait): void {
    const index = this.waits.indexOf(wait);
    if (index !== -1) this.waits.splice(index, 1);
  }

  private notifyWatchers(): void {
    for (const watcher of [...this.watchers]) {
      if (this.waits.length < watcher.count) continue;
      this.watchers.splice(this.watchers.indexOf(watcher), 1);
      watcher.resolve();
    }
  }
}
