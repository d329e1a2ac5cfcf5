import { InteractionResponseType, MessageFlags, type APIInteractionResponse } from 'discord-api-types/v10';
import type { AppContext } from '../shared/context.js';
import { handleOnce } from '../inbox/inbox.js';
import { handleInteraction, type Interaction } from './interactions.js';

const ephemeral = (content: string): APIInteractionResponse => ({
  type: InteractionResponseType.ChannelMessageWithSource,
  data: { content, flags: MessageFlags.Ephemeral },
});
const FAILED = ephemeral('Something went wrong on our side. Please try again in a minute.');
const IN_PROGRESS = ephemeral('Rolegate is already answering this. One moment.');

/**
 * A verified interaction, through the inbox (src/app/inbox): stored with its server and user,
 * answered at once (Discord waits 3 s), and marked `answered` or `failed` with the error, so a
 * failure stays visible. A duplicate delivery of the same interaction id is not handled again: it
 * gets the answer the first delivery got. Returns the answer as JSON text.
 */
export async function answerInteraction(
  ctx: AppContext,
  interaction: Interaction,
  raw: string,
): Promise<string> {
  const user = interaction.member?.user ?? interaction.user;
  const handled = await handleOnce(
    ctx,
    {
      source: 'discord',
      id: interaction.id,
      type: `interaction.${interaction.type}`,
      payload: raw,
      guildId: interaction.guild_id ?? null,
      userId: user?.id ?? null,
    },
    async () => {
      try {
        const response = await handleInteraction(ctx, interaction);
        return { outcome: 'answered', error: null, response: JSON.stringify(response) };
      } catch (err) {
        ctx.log.error({ err, interaction: interaction.id }, 'interaction handler failed');
        const error = err instanceof Error ? err.message : String(err);
        return { outcome: 'failed', error, response: JSON.stringify(FAILED) };
      }
    },
  );
  if (!handled.duplicate) return handled.response;
  ctx.log.info(
    { interaction: interaction.id, outcome: handled.outcome },
    'duplicate interaction delivery: answered as the first, not handled again',
  );
  return handled.response ?? JSON.stringify(IN_PROGRESS);
}
