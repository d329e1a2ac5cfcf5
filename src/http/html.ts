import type { FastifyReply } from 'fastify';
import { escapeHtml } from '../core/html.js';

/**
 * The small HTML pages buyers read (offer, success, sign-in, Connect Discord). They carry links
 * that act for one buyer, so they are never cached.
 */
export { escapeHtml };

const STYLE =
  '*{box-sizing:border-box}body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5}' +
  'button,.button{background:#5865f2;color:#fff;border:0;border-radius:6px;padding:.6rem 1.2rem;font-size:1rem;text-decoration:none;display:inline-block;cursor:pointer}' +
  'form{margin:.5rem 0}input[type=email]{width:100%;padding:.5rem;font-size:1rem;margin:.5rem 0 1rem}';

/** Sends a page; `body` is HTML the caller built with `escapeHtml` around every value. */
export function htmlPage(reply: FastifyReply, status: number, title: string, body: string) {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`,
    );
}

/** A page with a heading and one paragraph of plain text. */
export function messagePage(reply: FastifyReply, status: number, title: string, message: string) {
  return htmlPage(reply, status, title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}

/** A one-button form that POSTs `fields` to `action` (the way a buyer confirms a state change). */
export function postButton(action: string, label: string, fields: Record<string, string> = {}): string {
  const hidden = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  return `<form method="post" action="${escapeHtml(action)}">${hidden}<button type="submit">${escapeHtml(label)}</button></form>`;
}
