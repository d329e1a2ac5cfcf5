import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { registerHealthRoutes } from './health.js';

/** Every route module registers here (one line each). */
export async function registerRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  registerHealthRoutes(app, ctx);
}
