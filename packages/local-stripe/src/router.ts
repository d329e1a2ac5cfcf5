/** A tiny method + path router (`/v1/customers/:id`), for the API and the sandbox control routes. */
import type { Engine } from './engine/context.js';
import type { Params } from './params.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface ApiRequest {
  method: HttpMethod;
  path: string;
  /** Path parameters (`:id`). */
  params: Record<string, string>;
  /** The body for POST, the query string for GET and DELETE (stripe-node puts DELETE params there). */
  form: Params;
  requestId: string;
  idempotencyKey: string | null;
}

/** Returns the JSON body: a Stripe object or list. */
export type ApiHandler = (request: ApiRequest, engine: Engine) => object;

interface Route<H> {
  method: HttpMethod;
  pattern: RegExp;
  keys: string[];
  handler: H;
}

export class Router<H = ApiHandler> {
  private readonly routes: Array<Route<H>> = [];

  add(method: HttpMethod, path: string, handler: H): this {
    const keys: string[] = [];
    const source = path
      .split('/')
      .map((part) => {
        if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        keys.push(part.slice(1));
        return '([^/]+)';
      })
      .join('/');
    this.routes.push({ method, pattern: new RegExp(`^${source}$`), keys, handler });
    return this;
  }

  match(method: string, path: string): { handler: H; params: Record<string, string> } | null {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const found = route.pattern.exec(path);
      if (found === null) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => {
        params[key] = decodeURIComponent(found[i + 1] ?? '');
      });
      return { handler: route.handler, params };
    }
    return null;
  }
}
