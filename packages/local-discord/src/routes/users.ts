import { apiError, formError } from '../errors.js';
import { jsonBody, param, type RouteContext } from '../http.js';
import type { RouteDef } from '../router.js';
import { channelJson, currentUserJson, userJson } from '../serialize.js';
import type { World } from '../world.js';

/** The user behind the request: the bot, or the owner of a valid Bearer token with `identify`. */
function currentUserId(world: World, ctx: RouteContext): string {
  if (ctx.auth.kind === 'bearer') {
    const token = world.oauth.resolveAccessToken(ctx.auth.token);
    if (!token || !token.scopes.includes('identify')) throw apiError('Unauthorized');
    return token.userId;
  }
  return world.state.botUser.id;
}

export function userRoutes(world: World): RouteDef[] {
  return [
    {
      method: 'GET',
      pattern: '/users/@me',
      auth: 'bot-or-bearer',
      bucket: 'user',
      handle: (ctx) => ({
        status: 200,
        body: currentUserJson(world.state.requireUser(currentUserId(world, ctx))),
      }),
    },
    {
      method: 'GET',
      pattern: '/users/:userId',
      auth: 'bot',
      bucket: 'user',
      handle: (ctx) => {
        const user = world.state.users.get(param(ctx, 'userId'));
        if (!user) throw apiError('UnknownUser');
        return { status: 200, body: userJson(user) };
      },
    },
    {
      method: 'POST',
      pattern: '/users/@me/channels',
      auth: 'bot',
      bucket: 'createDm',
      handle: (ctx) => {
        const recipientId = jsonBody(ctx)['recipient_id'];
        if (typeof recipientId !== 'string' && typeof recipientId !== 'number') {
          formError(['recipient_id'], 'BASE_TYPE_REQUIRED', 'This field is required');
        }
        const recipient = world.state.users.get(String(recipientId));
        if (!recipient) throw apiError('UnknownUser');
        // Opening a DM with a bot fails at once; a user with closed DMs fails on send instead.
        if (recipient.bot) throw apiError('CannotMessageBot');
        return { status: 200, body: channelJson(world.state, world.state.dmChannel(recipient.id)) };
      },
    },
  ];
}
