/**
 * The HTTP front of the local Stripe: `/v1` (Stripe's API, Bearer secret key, form bodies,
 * Idempotency-Key, `expand[]`, Stripe's error envelope), `/checkout`, `/portal` and `/invoices` (HTML pages),
 * and `/_sandbox` (the JSON control API).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ZodError } from 'zod';
import { ControlNotFound, type ControlDeps, type ControlHandler } from './control.js';
import { processDue } from './engine/lifecycle.js';
import { SandboxActionError } from './engine/context.js';
import { authenticationError, StripeApiError, unrecognizedUrl } from './errors.js';
import { expand, toJson } from './expand.js';
import { API_VERSION } from './events.js';
import { canonicalForm, parseForm } from './form.js';
import type { FaultInjector } from './faults.js';
import { IdempotencyCache } from './idempotency.js';
import { newId } from './ids.js';
import { listObject } from './list.js';
import { checkoutPage, submitCheckout } from './pages/checkout.js';
import type { PageResponse } from './pages/html.js';
import { invoicePage } from './pages/invoice.js';
import { portalPage, submitPortal } from './pages/portal.js';
import { Params } from './params.js';
import type { Router, HttpMethod } from './router.js';

const MAX_BODY = 1_000_000;

export interface ServerDeps extends ControlDeps {
  secretKey: string;
  api: Router;
  control: Router<ControlHandler>;
  idempotency: IdempotencyCache;
  faults: FaultInjector;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new StripeApiError(413, 'invalid_request_error', 'Request body too large.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  send(res, status, JSON.stringify(body, null, 2), { 'content-type': 'application/json', ...headers });
}

function sendPage(res: ServerResponse, page: PageResponse): void {
  if (page.redirect !== undefined) {
    send(res, 303, '', { location: page.redirect });
    return;
  }
  send(res, page.status, page.html ?? '', { 'content-type': 'text/html; charset=utf-8' });
}

/** The key from `Authorization: Bearer sk_…` or `Basic base64(sk_…:)`, as Stripe accepts both. */
function apiKey(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (header === undefined) return null;
  const [scheme, value = ''] = header.split(' ');
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic')
    return Buffer.from(value, 'base64').toString('utf8').split(':')[0] ?? '';
  return '';
}

function checkKey(req: IncomingMessage, secretKey: string): void {
  const key = apiKey(req);
  if (key === null || key === '') {
    throw authenticationError(
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    );
  }
  if (key !== secretKey)
    throw authenticationError(
      `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`,
    );
}

export function createRequestHandler(deps: ServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) sendJson(res, 500, { error: { type: 'api_error', message } });
      else res.destroy();
    });
  };
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = (req.method ?? 'GET').toUpperCase();
  const body = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);
  // Whatever came due while nobody was looking happens before the request is served.
  processDue(deps.engine);
  if (url.pathname.startsWith('/v1/')) return handleApi(deps, req, res, method, url, body);
  if (url.pathname.startsWith('/_sandbox/')) return handleControl(deps, req, res, method, url.pathname, body);
  const page = routePage(deps, method, url.pathname, body);
  if (page !== null) return sendPage(res, page);
  if (url.pathname === '/' && method === 'GET') {
    return sendJson(res, 200, { name: 'Rolegate local Stripe', api_version: API_VERSION, api: '/v1' });
  }
  sendJson(res, 404, unrecognizedUrl(method, url.pathname).toBody());
}

function routePage(deps: ServerDeps, method: string, path: string, body: string): PageResponse | null {
  const checkout = /^\/checkout\/([^/]+)$/.exec(path);
  if (checkout !== null) {
    const id = decodeURIComponent(checkout[1] ?? '');
    if (method === 'GET') return checkoutPage(deps.engine, id);
    if (method === 'POST') return submitCheckout(deps.engine, id, parseForm(body));
  }
  const invoice = /^\/invoices\/([^/]+)$/.exec(path);
  if (invoice !== null && method === 'GET')
    return invoicePage(deps.engine, decodeURIComponent(invoice[1] ?? ''));
  const portal = /^\/portal\/([^/]+)$/.exec(path);
  if (portal !== null && method === 'GET')
    return portalPage(deps.engine, decodeURIComponent(portal[1] ?? ''));
  const portalAction = /^\/portal\/([^/]+)\/subscriptions\/([^/]+)$/.exec(path);
  if (portalAction !== null && method === 'POST') {
    return submitPortal(
      deps.engine,
      decodeURIComponent(portalAction[1] ?? ''),
      decodeURIComponent(portalAction[2] ?? ''),
      parseForm(body),
    );
  }
  return null;
}

function handleApi(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  url: URL,
  body: string,
): void {
  const requestId = newId('request');
  const headers: Record<string, string> = { 'request-id': requestId, 'stripe-version': API_VERSION };
  try {
    checkKey(req, deps.secretKey);
    const route = deps.api.match(method, url.pathname);
    if (route === null) throw unrecognizedUrl(method, url.pathname);
    const fault = deps.faults.take(method, url.pathname);
    if (fault !== null) {
      headers['stripe-should-retry'] = 'false';
      throw fault;
    }
    const raw =
      method === 'POST'
        ? parseForm(body.length > 0 ? body : url.search.slice(1))
        : parseForm(url.search.slice(1));
    const headerKey = req.headers['idempotency-key'];
    const idempotencyKey =
      typeof headerKey === 'string' && headerKey !== '' && method !== 'GET' ? headerKey : null;
    if (idempotencyKey !== null) {
      headers['idempotency-key'] = idempotencyKey;
      const replay = deps.idempotency.lookup(
        idempotencyKey,
        `${method} ${url.pathname} ${canonicalForm(raw)}`,
      );
      if (replay !== null) {
        return sendJson(res, replay.status, replay.body, {
          ...headers,
          'request-id': replay.requestId,
          'idempotent-replayed': 'true',
        });
      }
    }
    const form = new Params(raw);
    const result = deps.engine.events.withRequest({ id: requestId, idempotency_key: idempotencyKey }, () =>
      route.handler(
        {
          method: method as HttpMethod,
          path: url.pathname,
          params: route.params,
          form,
          requestId,
          idempotencyKey,
        },
        deps.engine,
      ),
    );
    const json = expand(toJson(result), form.strings('expand') ?? [], expandSource(deps));
    if (idempotencyKey !== null) {
      deps.idempotency.store(idempotencyKey, `${method} ${url.pathname} ${canonicalForm(raw)}`, {
        status: 200,
        body: json,
        requestId,
      });
    }
    sendJson(res, 200, json, headers);
  } catch (error) {
    const apiError =
      error instanceof StripeApiError
        ? error
        : error instanceof SandboxActionError
          ? new StripeApiError(400, 'invalid_request_error', error.message)
          : null;
    if (apiError === null) throw error;
    sendJson(res, apiError.status, apiError.toBody(), headers);
  }
}

function expandSource(deps: ServerDeps): Parameters<typeof expand>[2] {
  const store = deps.engine.store;
  return {
    find: (id) => {
      const found = store.find(id);
      return found === undefined ? undefined : toJson(found);
    },
    includable: (type, id, property) => {
      if (type === 'checkout.session' && property === 'line_items') {
        return toJson(
          listObject(store.sessionLineItems.get(id) ?? [], `/v1/checkout/sessions/${id}/line_items`),
        );
      }
      if (type === 'invoice' && property === 'payments') {
        const payments = [...store.invoicePayments.values()].filter((p) => p.invoice === id);
        return toJson(listObject(payments, `/v1/invoice_payments?invoice=${id}`));
      }
      return undefined;
    },
  };
}

async function handleControl(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
  body: string,
): Promise<void> {
  try {
    checkKey(req, deps.secretKey);
    const route = deps.control.match(method, path);
    if (route === null) throw new ControlNotFound(`no sandbox route ${method} ${path}`);
    const parsed: unknown = body.trim() === '' ? {} : JSON.parse(body);
    const result = await route.handler(parsed, route.params, deps);
    sendJson(res, 200, result);
  } catch (error) {
    if (error instanceof StripeApiError) return sendJson(res, error.status, error.toBody());
    const status =
      error instanceof ControlNotFound
        ? 404
        : error instanceof SandboxActionError ||
            error instanceof ZodError ||
            error instanceof SyntaxError ||
            error instanceof RangeError
          ? 400
          : 500;
    const message = error instanceof Error ? error.message : String(error);
    sendJson(res, status, {
      error: { type: status === 500 ? 'api_error' : 'invalid_request_error', message },
    });
  }
}
