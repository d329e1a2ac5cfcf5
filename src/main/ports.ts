import type { AppContext } from '../app/context.js';
import type { Ports } from '../app/ports.js';

/** Builds the Discord, Stripe and checkout adapters from the configuration (when configured). */
export function buildPorts(_ctx: AppContext): Partial<Ports> {
  return {};
}
