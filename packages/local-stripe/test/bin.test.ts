import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalStripeSummary } from '../src/cli.js';
import { startReceiver, type Receiver } from './helpers.js';
import { killLeftovers, runBinToEnd, startBin } from './run-bin.js';

let receiver: Receiver | undefined;
afterEach(async () => {
  killLeftovers();
  await receiver?.close();
  receiver = undefined;
});

const clientFor = (s: LocalStripeSummary) =>
  new Stripe(s.secretKey, { ...s.stripeConfig, maxNetworkRetries: 0 });

describe('the local-stripe command', () => {
  it('runs alone with a seeded catalog the official client reads, and SIGTERM stops it', async () => {
    const bin = await startBin(['--port', '0', '--json']);
    const summary = JSON.parse(bin.firstLine) as LocalStripeSummary;
    const stripe = clientFor(summary);
    const monthly = await stripe.prices.retrieve(summary.catalog?.prices.monthly ?? '');
    expect(monthly).toMatchObject({ unit_amount: 1500, currency: 'usd', recurring: { interval: 'month' } });
    const state = await fetch(`${summary.controlUrl}/state`, {
      headers: { authorization: `Bearer ${summary.secretKey}` },
    });
    expect(state.status).toBe(200);
    expect(await bin.stop()).toBe(0);
  });

  it('starts empty with --empty, prints a banner headed by its URL, and signs events for --webhook-url', async () => {
    receiver = await startReceiver();
    const webhookSecret = 'whsec_chosen_for_the_bin_test';
    const bin = await startBin([
      ...['--port', '0', '--empty', '--secret-key', 'sk_test_chosen'],
      ...['--webhook-url', receiver.url, '--webhook-secret', webhookSecret],
    ]);
    const port = Number(/^Local Stripe listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(bin.firstLine)?.[1]);
    expect(port).toBeGreaterThan(0);
    const stripe = new Stripe('sk_test_chosen', {
      host: '127.0.0.1',
      port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    expect((await stripe.prices.list()).data).toEqual([]);
    const customer = await stripe.customers.create({ email: 'bin@example.test' });
    await fetch(`http://127.0.0.1:${port}/_sandbox/delivery/flush`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk_test_chosen' },
    });
    const [delivered] = receiver.received;
    const event = stripe.webhooks.constructEvent(
      String(delivered?.rawBody),
      String(delivered?.signature),
      webhookSecret,
    );
    expect(event).toMatchObject({ type: 'customer.created', data: { object: { id: customer.id } } });
    expect(await bin.stop()).toBe(0);
  });

  it('refuses an unknown option with the usage text and exit code 2', async () => {
    const result = await runBinToEnd(['--no-such-option']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: local-stripe');
  });
});
