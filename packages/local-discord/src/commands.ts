import type { SnowflakeFactory } from './snowflake.js';

/** An application command as Discord stores and returns it. */
export interface StoredCommand {
  id: string;
  application_id: string;
  version: string;
  type: number;
  name: string;
  description: string;
  guild_id?: string;
  options?: unknown[];
  default_member_permissions: string | null;
  dm_permission?: boolean;
  contexts: number[] | null;
  integration_types: number[];
  nsfw: boolean;
  [extra: string]: unknown;
}

/** Global (`scope` = 'global') and per-guild command lists of the application. */
export class CommandStore {
  private readonly lists = new Map<string, StoredCommand[]>();

  constructor(
    private readonly applicationId: string,
    private readonly ids: SnowflakeFactory,
  ) {}

  list(scope: string): StoredCommand[] {
    return this.lists.get(scope) ?? [];
  }

  /** Bulk overwrite: commands keep their id when a command of the same type and name existed. */
  overwrite(
    scope: string,
    commands: ReadonlyArray<Record<string, unknown>>,
    guildId?: string,
  ): StoredCommand[] {
    const previous = this.list(scope);
    const next = commands.map((input): StoredCommand => {
      const type = typeof input['type'] === 'number' ? input['type'] : 1;
      const name = String(input['name']);
      const kept = previous.find((command) => command.type === type && command.name === name);
      const command: StoredCommand = {
        ...input,
        id: kept?.id ?? this.ids.next(),
        application_id: this.applicationId,
        version: this.ids.next(),
        type,
        name,
        description: typeof input['description'] === 'string' ? input['description'] : '',
        default_member_permissions:
          typeof input['default_member_permissions'] === 'string'
            ? input['default_member_permissions']
            : null,
        contexts: Array.isArray(input['contexts']) ? input['contexts'].map(Number) : null,
        integration_types: Array.isArray(input['integration_types'])
          ? input['integration_types'].map(Number)
          : [0],
        nsfw: input['nsfw'] === true,
      };
      if (guildId !== undefined) command.guild_id = guildId;
      return command;
    });
    this.lists.set(scope, next);
    return next;
  }

  find(name: string, guildId: string | undefined): StoredCommand | undefined {
    const local = guildId === undefined ? undefined : this.list(guildId).find((c) => c.name === name);
    return local ?? this.list('global').find((command) => command.name === name);
  }
}
