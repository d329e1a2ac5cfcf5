import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/shared/context.js';
import { registerHealthRoutes } from './health.js';
import { registerEntitlementRoutes } from './entitlements.js';
import { registerGrantRoutes } from './grants.js';
import { registerCustomerRoutes } from './customers.js';
import { registerWebhookEndpointRoutes } from './webhook-endpoints.js';
import { registerStripeWebhookRoute } from './stripe-webhook.js';
import { registerCheckoutRoutes } from './checkout.js';
import { registerServerRoutes } from './servers.js';
import { registerInteractionRoutes } from './interactions.js';
import { registerDiscordLinkRoutes } from './discord-link.js';
import { registerRolesChannelRoutes } from './roles-channel.js';
import { registerBuyerRoutes } from './buyer.js';
import { registerPortalRoutes } from './portal.js';
import { registerAdminAuthRoutes } from './admin-auth.js';
import { registerAdminRoutes } from './admins.js';
import { registerApiKeyRoutes } from './api-keys.js';
import { registerServerListRoutes } from './server-lists.js';
import { registerJobRoutes } from './jobs.js';
import { registerSubscriberRoutes } from './subscribers.js';
import { registerDashboardRoutes } from './dashboard.js';
import { registerSetupRoutes } from './setup.js';

/** Every route module registers here (one line each). */
export async function registerRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  registerHealthRoutes(app, ctx);
  registerEntitlementRoutes(app, ctx);
  registerGrantRoutes(app, ctx);
  registerCustomerRoutes(app, ctx);
  registerWebhookEndpointRoutes(app, ctx);
  registerStripeWebhookRoute(app, ctx);
  registerCheckoutRoutes(app, ctx);
  registerServerRoutes(app, ctx);
  registerInteractionRoutes(app, ctx);
  registerDiscordLinkRoutes(app, ctx);
  registerRolesChannelRoutes(app, ctx);
  registerBuyerRoutes(app, ctx);
  registerPortalRoutes(app, ctx);
  registerAdminAuthRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  registerApiKeyRoutes(app, ctx);
  registerServerListRoutes(app, ctx);
  registerJobRoutes(app, ctx);
  registerSubscriberRoutes(app, ctx);
  registerDashboardRoutes(app, ctx);
  registerSetupRoutes(app, ctx);
}
