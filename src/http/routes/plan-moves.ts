import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getPlanMoves, setPlanMoves } from '../../app/catalog/plan-moves.js';
import type { AppContext } from '../../app/shared/context.js';
import { idParams, requireId } from '../schemas.js';

const tags = ['entitlements'];
const auth = { auth: 'api_key' as const };

const kind = z
  .enum(['upgrade', 'downgrade', 'switch'])
  .describe(
    '`upgrade` / `downgrade` to another entitlement of the same server; `switch` between this one’s prices.',
  );

const movesSchema = z.object({
  entitlement_id: z.string(),
  moves: z.array(z.object({ to_entitlement_id: z.string(), kind })),
});

const movesBody = z.strictObject({
  moves: z
    .array(z.strictObject({ to_entitlement_id: z.string().max(200), kind }))
    .max(50)
    .describe('Replaces every move offered from this entitlement; an empty list offers none.'),
});

/** The plan changes a merchant offers buyers from an entitlement (decision 0022). */
export function registerPlanMoveRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/entitlements/:id/moves',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Plan changes offered from an entitlement',
        description:
          'Where a buyer of this entitlement may move from the customer portal: other entitlements of the same server (upgrade or downgrade) and, with `switch`, its own other prices. Stripe prorates; roles change when the payment succeeds.',
        params: idParams,
        response: { 200: movesSchema },
      },
    },
    async (request) => getPlanMoves(ctx, requireId('entitlement', 'entitlement', request.params.id)),
  );

  r.put(
    '/api/entitlements/:id/moves',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Set the plan changes offered from an entitlement',
        description:
          'Replaces the list. A target must be a live entitlement of the same server (409 otherwise); the entitlement itself is listed with kind `switch` to let buyers move between its prices (e.g. monthly ↔ yearly).',
        params: idParams,
        body: movesBody,
        response: { 200: movesSchema },
      },
    },
    async (request) =>
      setPlanMoves(
        ctx,
        requireId('entitlement', 'entitlement', request.params.id),
        request.body.moves.map((m) => ({
          toEntitlementId: requireId('entitlement', 'moves[].to_entitlement_id', m.to_entitlement_id),
          kind: m.kind,
        })),
      ),
  );
}
