/**
 * Webhook endpoints managed through the API, as an integration registers its own:
 * `POST /v1/webhook_endpoints` (the `secret` is in that answer only), list, retrieve, update
 * (`url`, `enabled_events`, `disabled`, `description`, `metadata`) and delete. They share the
 * dispatcher with the endpoints added through the control API, so events go to both kinds.
 */
import { API_VERSION } from '../events.js';
import { invalidParam, noSuch } from '../errors.js';
import { LIST_PARAMS, paginate } from '../list.js';
import { applyMetadata, type Params } from '../params.js';
import type { Router } from '../router.js';
import type { WebhookDispatcher, WebhookEndpointInfo } from '../webhooks.js';

const EVENT_TYPE = /^[a-z_]+(\.[a-z_]+)+$|^[a-z_]+\.\*$|^\*$/;

function view(endpoint: WebhookEndpointInfo, withSecret = false) {
  return {
    id: endpoint.id,
    object: 'webhook_endpoint' as const,
    api_version: endpoint.apiVersion,
    application: null,
    created: endpoint.created,
    description: endpoint.description,
    enabled_events: [...endpoint.enabledEvents],
    livemode: false,
    metadata: { ...endpoint.metadata },
    ...(withSecret ? { secret: endpoint.secret } : {}),
    status: endpoint.status,
    url: endpoint.url,
  };
}

function readUrl(form: Params): string | undefined {
  const url = form.nonEmptyString('url');
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidParam('url', 'Invalid URL: URL must be formatted correctly');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw invalidParam('url', 'Invalid URL: URL must use the https or http scheme');
  return url;
}

function readEvents(form: Params): string[] | undefined {
  const events = form.strings('enabled_events');
  if (events === undefined) return undefined;
  if (events.length === 0) throw invalidParam('enabled_events', 'enabled_events must not be empty.');
  events.forEach((type, i) => {
    if (!EVENT_TYPE.test(type))
      throw invalidParam(
        `enabled_events[${i}]`,
        `Invalid enabled_events[${i}]: ${type} is not an event type`,
      );
  });
  return [...new Set(events)];
}

export function registerWebhookEndpointRoutes(router: Router, dispatcher: WebhookDispatcher): void {
  const find = (id: string) => {
    const endpoint = dispatcher.endpoint(id);
    if (endpoint === undefined) throw noSuch('webhook_endpoint', id);
    return endpoint;
  };

  router.add('POST', '/v1/webhook_endpoints', ({ form }, engine) => {
    form.allowOnly(['url', 'enabled_events', 'description', 'metadata', 'api_version', 'connect', 'expand']);
    const url = readUrl(form);
    if (url === undefined) throw invalidParam('url', 'Missing required param: url.', 'parameter_missing');
    const events = readEvents(form);
    if (events === undefined)
      throw invalidParam('enabled_events', 'Missing required param: enabled_events.', 'parameter_missing');
    const apiVersion = form.nonEmptyString('api_version');
    if (apiVersion !== undefined && apiVersion !== API_VERSION)
      throw invalidParam('api_version', `Invalid api_version: this local Stripe speaks ${API_VERSION} only`);
    const endpoint = dispatcher.addEndpoint(url, {
      enabledEvents: events,
      description: form.string('description') || null,
      metadata: applyMetadata({}, form.metadata()),
      apiVersion: apiVersion ?? null,
      created: engine.clock.nowSeconds(),
    });
    return view(endpoint, true);
  });

  router.add('GET', '/v1/webhook_endpoints', ({ form }) => {
    form.allowOnly(LIST_PARAMS);
    // Ids carry no time order here; newest first by creation, then by insertion.
    const all = dispatcher
      .endpoints()
      .map((e, i) => ({ e, i }))
      .sort((a, b) => b.e.created - a.e.created || b.i - a.i)
      .map(({ e }) => view(e));
    return paginate(all, form, '/v1/webhook_endpoints');
  });

  router.add('GET', '/v1/webhook_endpoints/:id', ({ params }) => view(find(params['id'] ?? '')));

  router.add('POST', '/v1/webhook_endpoints/:id', ({ params, form }) => {
    form.allowOnly(['url', 'enabled_events', 'description', 'metadata', 'disabled', 'expand']);
    const endpoint = find(params['id'] ?? '');
    const url = readUrl(form);
    const events = readEvents(form);
    const disabled = form.boolean('disabled');
    const description = form.string('description');
    const updated = dispatcher.updateEndpoint(endpoint.id, {
      ...(url === undefined ? {} : { url }),
      ...(events === undefined ? {} : { enabledEvents: events }),
      ...(disabled === undefined ? {} : { status: disabled ? 'disabled' : 'enabled' }),
      ...(description === undefined ? {} : { description: description || null }),
      metadata: applyMetadata(endpoint.metadata, form.metadata()),
    });
    return view(updated ?? endpoint);
  });

  router.add('DELETE', '/v1/webhook_endpoints/:id', ({ params }) => {
    const endpoint = find(params['id'] ?? '');
    dispatcher.removeEndpoint(endpoint.id);
    return { id: endpoint.id, object: 'webhook_endpoint' as const, deleted: true };
  });
}
