/** The Local Discord's OAuth2 consent screen: plain HTML, no script, every value escaped. */

export interface ConsentPageInput {
  requestId: string;
  applicationName: string;
  scopes: readonly string[];
  users: ReadonlyArray<{ id: string; username: string }>;
  /** Bot installs: guilds to pick from; `lockedGuildId` = disable_guild_select. */
  guilds?: ReadonlyArray<{ id: string; name: string }>;
  selectedGuildId?: string;
  lockedGuildId?: string;
  permissions?: string;
  error?: string;
}

const SCOPE_TEXT: Record<string, string> = {
  identify: 'Access your username, avatar, and banner',
  'guilds.join': 'Join servers for you',
  guilds: 'Know what servers you are in',
  email: 'Access your email address',
  bot: 'Add a bot to a server',
  'applications.commands': 'Create commands',
};

export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#313338;color:#dbdee1;display:flex;justify-content:center;padding:3rem 1rem}
main{background:#2b2d31;border-radius:8px;padding:2rem;max-width:28rem;width:100%}
h1{font-size:1.25rem;color:#f2f3f5} label{display:block;margin:1rem 0 .25rem;font-size:.8rem;text-transform:uppercase}
select,button{width:100%;padding:.6rem;border-radius:4px;border:0;font-size:1rem;margin-top:.25rem}
button{background:#5865f2;color:#fff;cursor:pointer;margin-top:1rem} button.cancel{background:#4e5058}
.error{background:#f23f43;color:#fff;padding:.6rem;border-radius:4px} .note{font-size:.8rem;color:#949ba4}
</style></head><body><main>${body}</main></body></html>`;
}

export function consentPage(input: ConsentPageInput): string {
  const scopes = input.scopes.map((scope) => `<li>${escapeHtml(SCOPE_TEXT[scope] ?? scope)}</li>`).join('');
  const users = input.users
    .map((user) => `<option value="${escapeHtml(user.id)}">${escapeHtml(user.username)}</option>`)
    .join('');
  let guildPicker = '';
  if (input.guilds) {
    const options = input.guilds
      .filter((guild) => input.lockedGuildId === undefined || guild.id === input.lockedGuildId)
      .map((guild) => {
        const selected = guild.id === input.selectedGuildId ? ' selected' : '';
        return `<option value="${escapeHtml(guild.id)}"${selected}>${escapeHtml(guild.name)}</option>`;
      })
      .join('');
    guildPicker = `<label for="guild_id">Add to server</label><select id="guild_id" name="guild_id">${options}</select>`;
    if (input.permissions !== undefined) {
      guildPicker += `<p class="note">Requested permissions: ${escapeHtml(input.permissions)}</p>`;
    }
  }
  const error = input.error ? `<p class="error">${escapeHtml(input.error)}</p>` : '';
  return page(
    `Authorize ${input.applicationName}`,
    `<h1>${escapeHtml(input.applicationName)} wants to access your account</h1>${error}
<p class="note">Local Discord sandbox: pick who you are.</p>
<form method="post" action="/oauth2/authorize">
<input type="hidden" name="request" value="${escapeHtml(input.requestId)}">
<label for="user_id">Signed in as</label><select id="user_id" name="user_id">${users}</select>
<p>This will allow the developer of ${escapeHtml(input.applicationName)} to:</p><ul>${scopes}</ul>
${guildPicker}
<button type="submit" name="decision" value="authorize">Authorize</button>
<button class="cancel" type="submit" name="decision" value="cancel">Cancel</button>
</form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}
