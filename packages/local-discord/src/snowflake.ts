/** Discord's epoch (2015-01-01T00:00:00Z): snowflake timestamps count from here. */
export const DISCORD_EPOCH = 1_420_070_400_000;
const MAX_INCREMENT = 0x3fffff;

/**
 * Makes Discord-shaped snowflakes: `(ms since DISCORD_EPOCH) << 22 | increment`.
 * Ids only ever grow, even when an injected clock is moved backwards, because List Guild
 * Members pages by id and tests rely on "created later = larger id".
 */
export class SnowflakeFactory {
  private lastMs = 0;
  private increment = 0;

  constructor(private readonly now: () => number) {}

  next(): string {
    return this.nextBigInt().toString();
  }

  /** The next id as a number, for bulk loads that store ids in typed arrays. */
  nextBigInt(): bigint {
    const ms = Math.max(this.now() - DISCORD_EPOCH, this.lastMs, 0);
    if (ms === this.lastMs && this.increment >= MAX_INCREMENT) {
      // More ids in one millisecond than the increment holds (a bulk load under a frozen clock):
      // borrow the next millisecond so ids keep growing.
      this.lastMs += 1;
      this.increment = 0;
    } else if (ms === this.lastMs) {
      this.increment += 1;
    } else {
      this.lastMs = ms;
      this.increment = 0;
    }
    // 22 low bits: 5 worker + 5 process + 12 increment; we let the increment use all 22.
    return (BigInt(this.lastMs) << 22n) | BigInt(this.increment);
  }
}

/** Snowflake order: numeric, not lexicographic ("9" < "10"). */
export function compareSnowflakes(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isSnowflake(value: string): boolean {
  return /^\d{1,20}$/.test(value);
}
