import { createApiKey, listApiKeys, revokeApiKey } from '../app/admin/api-keys.js';
import type { AppContext } from '../app/shared/context.js';
import { apiKeyName } from './args.js';

/** `rolegate api-keys create [--name] <name> | list | revoke <id>`. False on a usage error. */
export async function runApiKeysCommand(ctx: AppContext, sub: string | undefined, rest: string[]) {
  if (sub === 'create') {
    const name = apiKeyName(rest);
    if (name === null) {
      console.error('usage: rolegate api-keys create [--name] <name>');
      process.exitCode = 2;
      return true;
    }
    const key = await createApiKey(ctx, name);
    console.log(`created ${key.id} (${name})\n\n  ${key.key}\n\nStore it now: it is shown only once.`);
  } else if (sub === 'list') {
    for (const k of await listApiKeys(ctx)) {
      console.log(`${k.id}  ${k.prefix}…  ${k.name}  ${k.revoked_at ? 'revoked' : 'active'}`);
    }
  } else if (sub === 'revoke' && rest[0]) {
    console.log((await revokeApiKey(ctx, rest[0])) ? `revoked ${rest[0]}` : `no active key ${rest[0]}`);
  } else {
    return false;
  }
  return true;
}
