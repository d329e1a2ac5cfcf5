/** The hosted invoice page an invoice's `hosted_invoice_url` points at: the buyer's receipt. */
import type { Engine } from '../engine/context.js';
import { escapeHtml, formatDate, formatMoney, layout, type PageResponse } from './html.js';

const STATUS_WORDS: Record<string, string> = {
  paid: 'Paid',
  open: 'Due',
  void: 'Void',
  uncollectible: 'Uncollectible',
  draft: 'Draft',
};

export function invoicePage(engine: Engine, invoiceId: string): PageResponse {
  const inv = engine.store.invoices.get(invoiceId);
  if (inv === undefined || inv.status === 'draft')
    return { status: 404, html: layout('Not found', '<h1>Invoice not found</h1>') };
  const money = (amount: number) => escapeHtml(formatMoney(amount, inv.currency));
  const lines = inv.lines.data
    .map(
      (line) =>
        `<tr><td>${escapeHtml(line.description ?? 'Item')}</td><td class="amount">${money(line.amount)}</td></tr>`,
    )
    .join('');
  const paidAt = inv.status_transitions.paid_at;
  const status = STATUS_WORDS[inv.status ?? ''] ?? inv.status ?? '';
  const body =
    `<h1>${inv.status === 'paid' ? 'Receipt' : 'Invoice'} ${escapeHtml(inv.number ?? inv.id)}</h1>` +
    `<p>From ${escapeHtml(inv.account_name ?? 'the seller')} to ${escapeHtml(inv.customer_email ?? 'you')}</p>` +
    `<p>Status: <strong>${escapeHtml(status)}</strong>${paidAt ? ` on ${escapeHtml(formatDate(paidAt))}` : ''}. ` +
    `Issued ${escapeHtml(formatDate(inv.created))}.</p>` +
    `<table><tbody>${lines}<tr class="total"><td>Total</td><td class="amount">${money(inv.total)}</td></tr>` +
    `<tr><td>Amount paid</td><td class="amount">${money(inv.amount_paid)}</td></tr>` +
    `<tr><td>Amount due</td><td class="amount">${money(inv.amount_remaining)}</td></tr></tbody></table>`;
  return { status: 200, html: layout(`Invoice ${inv.number ?? inv.id}`, body) };
}
