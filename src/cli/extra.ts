import type { Config } from '../config.js';

/**
 * Commands contributed by the Discord, reconcile and queue parts (`discord register-commands`,
 * `reconcile`, `jobs`). Returns false when `command` is not one of them.
 */
export async function runExtraCommand(
  command: string | undefined,
  sub: string | undefined,
  rest: string[],
  config: () => Config,
): Promise<boolean> {
  switch (command) {
    case 'discord':
      await (await import('./discord.js')).runDiscordCommand(sub, rest, config());
      return true;
    case 'reconcile':
      await (
        await import('./reconcile.js')
      ).runReconcileCommand(
        [sub, ...rest].filter((a): a is string => a !== undefined),
        config(),
      );
      return true;
    case 'jobs':
      await (await import('./jobs.js')).runJobsCommand(sub, rest, config());
      return true;
    default:
      return false;
  }
}
