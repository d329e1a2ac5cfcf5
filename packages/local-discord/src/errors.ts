/**
 * Discord's JSON error codes, with the HTTP status Discord answers them with
 * (docs: topics/opcodes-and-status-codes; statuses marked [R]/[A] in reference/discord.md §5).
 */
export const JsonError = {
  GeneralNotFound: { status: 404, code: 0, message: '404: Not Found' },
  MethodNotAllowed: { status: 405, code: 0, message: '405: Method Not Allowed' },
  // Discord answers a missing or bad token with code 0, not 40001 (discord-api-docs#1499).
  Unauthorized: { status: 401, code: 0, message: '401: Unauthorized' },
  UnknownApplication: { status: 404, code: 10002, message: 'Unknown Application' },
  UnknownChannel: { status: 404, code: 10003, message: 'Unknown Channel' },
  UnknownGuild: { status: 404, code: 10004, message: 'Unknown Guild' },
  UnknownMember: { status: 404, code: 10007, message: 'Unknown Member' },
  UnknownMessage: { status: 404, code: 10008, message: 'Unknown Message' },
  UnknownRole: { status: 404, code: 10011, message: 'Unknown Role' },
  UnknownUser: { status: 404, code: 10013, message: 'Unknown User' },
  UnknownWebhook: { status: 404, code: 10015, message: 'Unknown Webhook' },
  InvalidWebhookToken: { status: 401, code: 50027, message: 'Invalid Webhook Token' },
  UnknownInteraction: { status: 404, code: 10062, message: 'Unknown interaction' },
  MaximumGuilds: { status: 400, code: 30001, message: 'Maximum number of guilds reached (100)' },
  UserBanned: { status: 403, code: 40007, message: 'The user is banned from this guild.' },
  AlreadyAcknowledged: { status: 400, code: 40060, message: 'Interaction has already been acknowledged.' },
  MissingAccess: { status: 403, code: 50001, message: 'Missing Access' },
  CannotEditOthersMessage: {
    status: 403,
    code: 50005,
    message: 'Cannot edit a message authored by another user',
  },
  EmptyMessage: { status: 400, code: 50006, message: 'Cannot send an empty message' },
  CannotMessageUser: { status: 403, code: 50007, message: 'Cannot send messages to this user' },
  CannotMessageBot: { status: 400, code: 50007, message: 'Cannot send messages to this user' },
  MissingPermissions: { status: 403, code: 50013, message: 'Missing Permissions' },
  // 403 as observed in the wild; a 401 would also make @discordjs/rest drop the *bot* token.
  InvalidOAuthToken: { status: 403, code: 50025, message: 'Invalid OAuth2 access token' },
  MissingOAuthScope: { status: 403, code: 50026, message: 'Missing required OAuth2 scope' },
  InvalidFormBody: { status: 400, code: 50035, message: 'Invalid Form Body' },
  InvalidJson: { status: 400, code: 50109, message: 'The request body contains invalid JSON.' },
  NoMutualGuilds: {
    status: 403,
    code: 50278,
    message: 'Cannot send messages to this user due to having no mutual guilds',
  },
  InternalServerError: { status: 500, code: 0, message: '500: Internal Server Error' },
} as const satisfies Record<string, { status: number; code: number; message: string }>;

export type JsonErrorName = keyof typeof JsonError;

/** What a route handler throws to answer with an error; the server turns it into a response. */
export class DiscordRouteError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(typeof body['message'] === 'string' ? body['message'] : `HTTP ${status}`);
    this.name = 'DiscordRouteError';
  }
}

export function apiError(name: JsonErrorName): DiscordRouteError {
  const { status, code, message } = JsonError[name];
  return new DiscordRouteError(status, { message, code });
}

/** OAuth2 endpoints answer in RFC 6749 shape, not Discord's `{code, message}`. */
export function oauthError(status: number, error: string, description?: string): DiscordRouteError {
  return new DiscordRouteError(
    status,
    description === undefined ? { error } : { error, error_description: description },
  );
}

export interface FieldError {
  code: string;
  message: string;
}

type ErrorTree = { _errors?: FieldError[] } & { [key: string]: ErrorTree | FieldError[] | undefined };

/** Collects 50035 field errors under Discord's nested `{field: {_errors: [...]}}` layout. */
export class FormErrors {
  private readonly root: ErrorTree = {};
  private count = 0;

  add(path: ReadonlyArray<string | number>, code: string, message: string): void {
    let node = this.root;
    for (const key of path) {
      const name = String(key);
      const next = node[name];
      if (next === undefined || Array.isArray(next)) {
        const created: ErrorTree = {};
        node[name] = created;
        node = created;
      } else {
        node = next;
      }
    }
    (node._errors ??= []).push({ code, message });
    this.count += 1;
  }

  get empty(): boolean {
    return this.count === 0;
  }

  /** Throws the 50035 error if anything was collected. */
  throwIfAny(): void {
    if (this.empty) return;
    const { status, code, message } = JsonError.InvalidFormBody;
    throw new DiscordRouteError(status, { message, code, errors: this.root });
  }
}

export function formError(path: ReadonlyArray<string | number>, code: string, message: string): never {
  const errors = new FormErrors();
  errors.add(path, code, message);
  errors.throwIfAny();
  throw new Error('unreachable');
}
