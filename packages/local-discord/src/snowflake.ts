/** Discord's epoch (2015-01-01T00:00:00Z): snowflake timestamps count from here. */
export const DISCORD_EPOCH = 1_420_070_400_000;

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
    const ms = Math.max(this.now() - DISCORD_EPOCH, this.lastMs, 0);
    if (ms === this.lastMs) {
      this.increment += 1;
    } else {
      this.lastMs = ms;
      this.increment = 0;
    }
    // 22 low bits: 5 worker + 5 process + 12 increment; we let the increment use all 22.
    return ((BigInt(ms) << 22n) | BigInt(this.increment & 0x3fffff)).toString();
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
