import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthlyPrice, paidSubscription, startHarness, type Harness } from './helpers.js';

let h: Harness;
let price: Stripe.Price;
beforeAll(async () => {
  h = await startHarness();
  price = await monthlyPrice(h.stripe, 1500);
});
afterAll(() => h.close());

describe('the hosted invoice page', () => {
  it("a paid invoice's hosted_invoice_url opens a receipt with its lines, total and paid status", async () => {
    const subId = await paidSubscription(h, price);
    const sub = await h.stripe.subscriptions.retrieve(subId);
    const invoices = await h.stripe.invoices.list({ customer: String(sub.customer) });
    const invoice = invoices.data[0];
    expect(invoice?.status).toBe('paid');
    expect(invoice?.hosted_invoice_url).toBe(`${h.local.url}/invoices/${invoice?.id}`);

    const res = await fetch(invoice?.hosted_invoice_url ?? '');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain(`Receipt ${invoice?.number}`);
    expect(html).toContain('<strong>Paid</strong>');
    expect(html).toContain('buyer@example.com');
    expect(html).toContain('$15.00');
  });

  it('an unknown invoice id is a 404 page', async () => {
    const res = await fetch(`${h.local.url}/invoices/in_doesnotexist`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('Invoice not found');
  });
});
