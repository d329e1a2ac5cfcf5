import { describe, expect, it } from 'vitest';
import { ManualTimers } from '../src/index.js';

describe('ManualTimers (the delivery clock a test moves)', () => {
  it('fires nothing until advanced, then every wait that came due, soonest first', () => {
    const timers = new ManualTimers();
    const fired: string[] = [];
    timers.after(300, () => fired.push('retry'));
    timers.after(100, () => fired.push('hold'));
    timers.advance(99);
    expect(fired).toEqual([]);
    expect(timers.pending()).toEqual([1, 201]);
    timers.advance(500);
    expect(fired).toEqual(['hold', 'retry']);
    expect(timers.pending()).toEqual([]);
  });

  it('a cancelled wait never fires', () => {
    const timers = new ManualTimers();
    let fired = false;
    const cancel = timers.after(10, () => {
      fired = true;
    });
    cancel();
    timers.advance(10);
    expect(fired).toBe(false);
  });

  it('whenWaiting resolves once enough waits are pending', async () => {
    const timers = new ManualTimers();
    const waiting = timers.whenWaiting(2);
    timers.after(5, () => undefined);
    timers.after(5, () => undefined);
    await expect(waiting).resolves.toBeUndefined();
  });
});
