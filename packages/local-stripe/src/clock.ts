/** The local Stripe's notion of "now": a base clock plus an offset that sandbox time travel moves forward. */

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class SandboxClock implements Clock {
  private offsetMs = 0;

  constructor(private readonly base: Clock = systemClock) {}

  now(): number {
    return this.base.now() + this.offsetMs;
  }

  /** Unix seconds, the unit of every Stripe timestamp. */
  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** Moves time forward (never backward: Stripe timestamps must not go back). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance(ms) needs a finite, non-negative ms');
    this.offsetMs += ms;
  }

  /** Moves time forward to `unixSeconds` if it is in the future. */
  advanceTo(unixSeconds: number): void {
    const delta = unixSeconds * 1000 - this.now();
    if (delta > 0) this.advance(delta);
  }

  get offset(): number {
    return this.offsetMs;
  }
}
