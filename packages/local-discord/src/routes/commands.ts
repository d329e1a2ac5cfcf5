import { DiscordRouteError, FormErrors } from '../errors.js';
import { jsonArrayBody, param, type RouteContext, type RouteReply } from '../http.js';
import type { RouteDef } from '../router.js';
import type { World } from '../world.js';
import { guildForBot } from './access.js';

const CHAT_INPUT_NAME = /^[-_'\p{Ll}\p{Lo}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

/** Get and Bulk Overwrite Global / Guild Application Commands. */
export function commandRoutes(world: World): RouteDef[] {
  const globalPattern = '/applications/:applicationId/commands';
  const guildPattern = '/applications/:applicationId/guilds/:guildId/commands';
  return [
    {
      method: 'GET',
      pattern: globalPattern,
      auth: 'bot',
      bucket: 'commands',
      handle: (ctx) => get(world, ctx),
    },
    {
      method: 'PUT',
      pattern: globalPattern,
      auth: 'bot',
      bucket: 'commands',
      handle: (ctx) => put(world, ctx),
    },
    {
      method: 'GET',
      pattern: guildPattern,
      auth: 'bot',
      bucket: 'commands',
      handle: (ctx) => get(world, ctx),
    },
    {
      method: 'PUT',
      pattern: guildPattern,
      auth: 'bot',
      bucket: 'commands',
      handle: (ctx) => put(world, ctx),
    },
  ];
}

function scopeOf(world: World, ctx: RouteContext): { scope: string; guildId?: string } {
  if (param(ctx, 'applicationId') !== world.app.id) {
    // Another application's commands: Discord refuses the bot outright.
    throw new DiscordRouteError(403, { message: 'Missing Access', code: 50001 });
  }
  const guildId = ctx.params['guildId'];
  if (guildId === undefined) return { scope: 'global' };
  guildForBot(world, guildId, 'access');
  return { scope: guildId, guildId };
}

function get(world: World, ctx: RouteContext): RouteReply {
  return { status: 200, body: world.commands.list(scopeOf(world, ctx).scope) };
}

function put(world: World, ctx: RouteContext): RouteReply {
  const { scope, guildId } = scopeOf(world, ctx);
  const input = jsonArrayBody(ctx);
  const errors = new FormErrors();
  if (input.length > 100) errors.add([], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.');
  const seen = new Set<string>();
  const commands: Record<string, unknown>[] = [];
  input.forEach((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      errors.add([i], 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
      return;
    }
    const command = item as Record<string, unknown>;
    const type = command['type'] ?? 1;
    const name = command['name'];
    if (typeof name !== 'string' || name === '') {
      errors.add([i, 'name'], 'BASE_TYPE_REQUIRED', 'This field is required');
    } else if (type === 1 && !CHAT_INPUT_NAME.test(name)) {
      errors.add([i, 'name'], 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
    } else if (seen.has(`${String(type)}:${name}`)) {
      errors.add(
        [i, 'name'],
        'APPLICATION_COMMANDS_DUPLICATE_NAME',
        'Application command names must be unique',
      );
    } else {
      seen.add(`${String(type)}:${name}`);
    }
    const description = command['description'];
    if (
      type === 1 &&
      (typeof description !== 'string' || description.length < 1 || description.length > 100)
    ) {
      errors.add([i, 'description'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    }
    const options = command['options'];
    if (Array.isArray(options) && options.length > 25) {
      errors.add([i, 'options'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
    }
    commands.push(command);
  });
  errors.throwIfAny();
  return { status: 200, body: world.commands.overwrite(scope, commands, guildId) };
}
