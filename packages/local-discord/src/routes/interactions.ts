import { jsonBody, param, type RouteContext } from '../http.js';
import type { RouteDef } from '../router.js';
import type { World } from '../world.js';

/**
 * Interaction callback and follow-up webhooks. No bot auth: the interaction token in the path is
 * the credential. Exempt from the global rate limit, as on Discord.
 */
export function interactionRoutes(world: World): RouteDef[] {
  const hub = world.interactions;
  const webhook = (ctx: RouteContext) => hub.forWebhook(param(ctx, 'webhookId'), param(ctx, 'token'));
  const base = '/webhooks/:webhookId/:token';
  const common = { auth: 'none', bucket: 'webhook', globalExempt: true } as const;
  const routes: RouteDef[] = [
    {
      method: 'POST',
      pattern: '/interactions/:interactionId/:token/callback',
      auth: 'none',
      bucket: 'interactionCallback',
      globalExempt: true,
      handle: (ctx) => {
        const record = hub.forCallback(param(ctx, 'interactionId'), param(ctx, 'token'));
        const body = jsonBody(ctx);
        const message = hub.acknowledge(record, body, 'callback');
        if (ctx.query.get('with_response') !== 'true') return { status: 204 };
        const flags = message?.flags ?? 0;
        const interaction: Record<string, unknown> = { id: record.id, type: record.type };
        if (message) {
          interaction['response_message_id'] = message.id;
          interaction['response_message_loading'] = (flags & 128) !== 0;
          interaction['response_message_ephemeral'] = (flags & 64) !== 0;
        }
        const resource: Record<string, unknown> = { type: body['type'] };
        if (message) resource['message'] = message;
        return { status: 200, body: { interaction, resource } };
      },
    },
    {
      ...common,
      method: 'POST',
      pattern: base,
      handle: (ctx) => ({ status: 200, body: hub.followUp(webhook(ctx), jsonBody(ctx)) }),
    },
  ];
  for (const pattern of [`${base}/messages/@original`, `${base}/messages/:messageId`]) {
    const id = (ctx: RouteContext): string => ctx.params['messageId'] ?? '@original';
    routes.push(
      {
        ...common,
        method: 'GET',
        pattern,
        handle: (ctx) => ({ status: 200, body: hub.message(webhook(ctx), id(ctx)) }),
      },
      {
        ...common,
        method: 'PATCH',
        pattern,
        handle: (ctx) => {
          const record = webhook(ctx);
          const body = jsonBody(ctx);
          const target = hub.message(record, id(ctx));
          const edited =
            target === record.original
              ? hub.editOriginal(record, body)
              : hub.editFollowUp(record, target, body);
          return { status: 200, body: edited };
        },
      },
      {
        ...common,
        method: 'DELETE',
        pattern,
        handle: (ctx) => {
          hub.deleteMessage(webhook(ctx), id(ctx));
          return { status: 204 };
        },
      },
    );
  }
  return routes;
}
