import type { Config } from '../config.js';

/**
 * Commands contributed by the Discord, Stripe and reconcile parts (`discord register-commands`,
 * `reconcile`, `sandbox`). Returns false when `command` is not one of them.
 */
export async function runExtraCommand(
  _command: string | undefined,
  _sub: string | undefined,
  _rest: string[],
  _config: () => Config,
): Promise<boolean> {
  if (_command === 'discord')
    return (await import('./discord.js')).runDiscordCommand(_sub, _rest, _config()).then(() => true);
  if (_command === 'reconcile')
    return (await import('./reconcile.js'))
      .runReconcileCommand(
        [_sub, ..._rest].filter((a): a is string => a !== undefined),
        _config(),
      )
      .then(() => true);
  return false;
}
