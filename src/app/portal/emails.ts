import { escapeHtml } from '../../core/html.js';
import type { AppContext } from '../shared/context.js';

/**
 * Buyer emails of the portal: multipart (text and HTML), every value escaped in the HTML, signed
 * with the merchant's name (`MERCHANT_NAME`, else the display name of `MAIL_FROM`).
 */

export function merchantName(ctx: Pick<AppContext, 'config'>): string {
  if (ctx.config.MERCHANT_NAME) return ctx.config.MERCHANT_NAME;
  const display = /^\s*"?([^"<]+?)"?\s*</.exec(ctx.config.MAIL_FROM)?.[1];
  return display ?? 'Rolegate';
}

export interface BuyerEmail {
  subject: string;
  text: string;
  html: string;
}

/** A short email: paragraphs, one button-like link, and the merchant's name at the end. */
export function renderBuyerEmail(input: {
  merchant: string;
  subject: string;
  paragraphs: string[];
  action: { label: string; url: string };
  footer?: string;
}): BuyerEmail {
  const { merchant, subject, paragraphs, action } = input;
  const text = [
    ...paragraphs.flatMap((p) => [p, '']),
    `${action.label}: ${action.url}`,
    '',
    ...(input.footer ? [input.footer, ''] : []),
    `— ${merchant}`,
  ].join('\n');
  const html =
    paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('') +
    `<p><a href="${escapeHtml(action.url)}" style="background:#4752c4;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none;display:inline-block">${escapeHtml(action.label)}</a></p>` +
    (input.footer ? `<p style="color:#555">${escapeHtml(input.footer)}</p>` : '') +
    `<p>— ${escapeHtml(merchant)}</p>`;
  return { subject, text, html };
}

export function renderPortalSignInEmail(merchant: string, url: string): BuyerEmail {
  return renderBuyerEmail({
    merchant,
    subject: `Sign in to your ${merchant} purchases`,
    paragraphs: [
      `Someone (we hope you) asked to sign in to the ${merchant} customer portal with this email address.`,
      'The link works once, for 15 minutes.',
    ],
    action: { label: 'Sign in to your purchases', url },
    footer: 'If it was not you, ignore this email: nothing happens without the link.',
  });
}
