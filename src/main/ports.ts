import type { AppContext } from '../app/shared/context.js';
import type { Ports } from '../core/ports/index.js';
import { stripePorts } from '../adapters/stripe/ports.js';
import { discordPorts } from '../adapters/discord/ports.js';

/** Builds the Discord, Stripe and checkout adapters from the configuration (when configured). */
export function buildPorts(ctx: AppContext): Partial<Ports> {
  return {
    ...stripePorts(ctx),
    ...discordPorts(ctx),
  };
}
