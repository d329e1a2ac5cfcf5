import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendTestMail, setupState } from '../../app/setup/checklist.js';
import { createStripeWebhook } from '../../app/setup/stripe-webhook.js';
import type { AppContext } from '../../app/shared/context.js';
import { isoString } from '../schemas.js';

/** The setup checklist (decision 0025): its state with the values to paste, and its two actions. */

const tags = ['setup'];
const auth = { auth: 'api_key' as const };
const iso = (ms: number) => new Date(ms).toISOString();

const webhookSchema = z.object({
  state: z
    .enum(['not_configured', 'created', 'needs_update', 'deleted', 'secret_configured', 'missing'])
    .describe(
      '`created`: Rolegate made the endpoint and Stripe has it as needed. `secret_configured`: STRIPE_WEBHOOK_SECRET is set (an endpoint made by hand). `missing`/`deleted`/`needs_update`: create it.',
    ),
  url: z.string().describe('Where Stripe must send events.'),
  events: z.array(z.string()).describe('The event types Rolegate acts on.'),
  endpoint_id: z.string().nullable().describe("Stripe's `we_…` of the endpoint Rolegate created."),
  problem: z.string().nullable(),
});

const testMailSchema = z.object({ to: z.string(), sent_at: isoString });

const setupSchema = z.object({
  public_url: z.object({
    url: z.string(),
    https: z.boolean(),
    reachable: z.boolean().describe("This instance's /healthz answered at the public URL."),
    problem: z.string().nullable(),
  }),
  discord: z.object({
    configured: z.boolean(),
    bot_ok: z.boolean().describe('Discord accepted the bot token just now.'),
    problem: z.string().nullable(),
    application_id: z.string().nullable(),
    interactions_endpoint_url: z
      .string()
      .describe('Paste into the application\'s "Interactions Endpoint URL".'),
    redirect_uris: z.array(z.string()).describe('Add each under OAuth2 → Redirects.'),
    bot_invite_url: z.string().nullable().describe('Installs the bot with the permissions Rolegate needs.'),
  }),
  stripe: z.object({
    configured: z.boolean(),
    mode: z.enum(['test', 'live']).nullable(),
    webhook: webhookSchema,
  }),
  smtp: z.object({ configured: z.boolean(), from: z.string(), last_test: testMailSchema.nullable() }),
});

export function registerSetupRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/setup',
    {
      config: auth,
      schema: {
        tags,
        summary: 'The setup checklist: what is done and the exact values to paste',
        description:
          'Checks as it answers: the public URL leads back to this instance, Discord accepts the bot token, Stripe still has the webhook endpoint Rolegate created.',
        response: { 200: setupSchema },
      },
    },
    async () => {
      const state = await setupState(ctx);
      const last = state.smtp.last_test;
      return {
        ...state,
        smtp: { ...state.smtp, last_test: last ? { to: last.to, sent_at: iso(last.sent_at) } : null },
      };
    },
  );
  r.post(
    '/api/setup/stripe-webhook',
    {
      config: auth,
      schema: {
        tags,
        summary: "Create Rolegate's webhook endpoint at Stripe",
        description:
          'Calls Stripe `POST /v1/webhook_endpoints` with the public URL and the events Rolegate needs, and stores the signing secret encrypted; webhooks signed with it are accepted from then on. 200 without a new endpoint when a working one exists; 503 when STRIPE_SECRET_KEY is not set.',
        body: z.strictObject({}).nullish(),
        response: {
          200: z.object({ created: z.literal(false), webhook: webhookSchema }),
          201: z.object({ created: z.literal(true), webhook: webhookSchema }),
        },
      },
    },
    async (_request, reply) => {
      const { created, status } = await createStripeWebhook(ctx);
      return created
        ? reply.status(201).send({ created: true as const, webhook: status })
        : reply.status(200).send({ created: false as const, webhook: status });
    },
  );
  r.post(
    '/api/setup/test-mail',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Send a test mail through SMTP',
        description: "503 when SMTP_URL is not set; 422 with the server's answer when it refuses the mail.",
        body: z.strictObject({ to: z.email('must be an email address').max(320) }),
        response: { 200: testMailSchema },
      },
    },
    async (request) => {
      const sent = await sendTestMail(ctx, request.body.to);
      return { to: sent.to, sent_at: iso(sent.sent_at) };
    },
  );
}
