import { ButtonStyle, ComponentType } from 'discord-api-types/v10';
import type { GrantInvitationPayload } from '../grants/jobs.js';
import type { AppContext } from '../shared/context.js';
import { sendDirectMessage } from './dm.js';
import { escapeHtml } from '../../core/html.js';
import { CONNECT_LINK_EMAIL_TTL_MS, connectLinkUrl } from './connect.js';
import { grantMailContext } from './store/grants.js';

/**
 * The `grant.send_invitation` job: after a web purchase, the buyer gets an email with a
 * "Connect Discord" link and the claim code (and a DM when their Discord account is already known).
 * Mail failures throw so the job retries; the DM is a best-effort copy.
 */

export interface Invitation {
  subject: string;
  text: string;
  html: string;
  linkUrl: string;
  claimCode: string | null;
}

export function renderInvitation(input: {
  entitlementName: string;
  serverName: string;
  linkUrl: string;
  claimCode: string | null;
}): Invitation {
  const { entitlementName, serverName, linkUrl, claimCode } = input;
  const subject = `Your ${entitlementName} access on ${serverName}: connect Discord`;
  const claimLine = claimCode
    ? `Or, if you are already in the ${serverName} Discord server, type /claim ${claimCode} there.`
    : '';
  const text = [
    `Thanks for buying ${entitlementName}.`,
    '',
    `Connect your Discord account to get your roles on ${serverName}:`,
    linkUrl,
    '',
    claimLine,
    claimCode ? `Your claim code: ${claimCode}` : '',
    '',
    'The link works once, for 30 days; the claim code does not expire.',
  ]
    .filter((line, i, all) => line !== '' || all[i - 1] !== '')
    .join('\n');
  const html = `<p>Thanks for buying <strong>${escapeHtml(entitlementName)}</strong>.</p>
<p><a href="${escapeHtml(linkUrl)}">Connect Discord</a> to get your roles on ${escapeHtml(serverName)}.</p>
${claimCode ? `<p>Or type <code>/claim ${escapeHtml(claimCode)}</code> in the ${escapeHtml(serverName)} server. Your claim code: <strong>${escapeHtml(claimCode)}</strong></p>` : ''}
<p>The link works once, for 30 days; the claim code does not expire.</p>`;
  return { subject, text, html, linkUrl, claimCode };
}

export async function sendInvitation(
  ctx: AppContext,
  { grantId, cause }: GrantInvitationPayload,
): Promise<void> {
  const row = await grantMailContext(ctx.db.kysely, grantId);
  if (!row || row.status === 'revoked') {
    ctx.log.info({ grantId, cause }, 'invitation not sent: the grant is gone or revoked');
    return;
  }
  const invitation = renderInvitation({
    entitlementName: row.entitlementName,
    serverName: row.serverName,
    linkUrl: await connectLinkUrl(ctx, {
      customerId: row.customerId,
      grantId: row.id,
      ttlMs: CONNECT_LINK_EMAIL_TTL_MS,
    }),
    claimCode: row.claimCode,
  });
  if (row.email) {
    await ctx.ports.mail.send({
      to: row.email,
      subject: invitation.subject,
      text: invitation.text,
      html: invitation.html,
    });
  }
  if (row.discordUserId) {
    // Best effort: the email (or the roles arriving) already tells them; a DM failure is not retried.
    const outcome = await sendDirectMessage(ctx, row.discordUserId, {
      content: `Thanks for buying **${row.entitlementName}** on ${row.serverName}. Your roles are on their way.`,
      components: [
        {
          type: ComponentType.ActionRow,
          components: [
            {
              type: ComponentType.Button,
              style: ButtonStyle.Link,
              label: 'Connect Discord',
              url: invitation.linkUrl,
            },
          ],
        },
      ],
    }).catch((err: unknown) => {
      ctx.log.warn({ err, grantId }, 'invitation DM failed');
      return 'failed';
    });
    ctx.log.info({ grantId, outcome }, 'invitation DM');
  }
}
