import type Stripe from 'stripe';

/**
 * A plan change at Stripe (decision 0022): the first item moves to `priceId`; the prorations (a
 * credit for the unused time, a charge for the rest of the period at the new price) are invoiced and
 * collected now; with `pending_if_incomplete` a declined charge leaves the old price in place under
 * `pending_update` until the buyer pays that invoice.
 */
export async function changePrice(
  sdk: Stripe,
  subscriptionId: string,
  priceId: string,
  idempotencyKey: string,
): Promise<Stripe.Subscription> {
  const sub = await sdk.subscriptions.retrieve(subscriptionId);
  const item = sub.items.data[0];
  if (!item) throw new Error(`Stripe subscription ${subscriptionId} has no items`);
  return sdk.subscriptions.update(
    subscriptionId,
    {
      items: [{ id: item.id, price: priceId }],
      proration_behavior: 'always_invoice',
      payment_behavior: 'pending_if_incomplete',
    },
    { idempotencyKey },
  );
}
