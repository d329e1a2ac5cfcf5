import { z } from 'zod';
import type { AppContext } from '../shared/context.js';
import { readSetting, writeSetting } from './store.js';

/**
 * The typed settings of the setup checklist: Rolegate's own Stripe webhook endpoint (its signing
 * secret encrypted at rest) and the last test mail. The webhook secrets are cached per process so
 * that verifying a webhook costs no query; a signature that fails reloads them (at most every 5 s),
 * so an endpoint created by another instance is picked up.
 */

const STRIPE_WEBHOOK = 'stripe_webhook_endpoint';
const TEST_MAIL = 'smtp_test_mail';

const stripeWebhookValue = z.object({
  endpoint_id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  secret: z.string().describe('encrypted'),
  created_at: z.number(),
});
export type StoredStripeWebhook = Omit<z.infer<typeof stripeWebhookValue>, 'secret'>;

const testMailValue = z.object({ to: z.string(), sent_at: z.number() });
export type TestMailRecord = z.infer<typeof testMailValue>;

function parse<T>(schema: z.ZodType<T>, raw: string | null): T | null {
  if (raw === null) return null;
  const parsed = schema.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : null;
}

export async function storedStripeWebhook(ctx: AppContext): Promise<StoredStripeWebhook | null> {
  const value = parse(stripeWebhookValue, await readSetting(ctx.db.kysely, STRIPE_WEBHOOK));
  if (!value) return null;
  const { secret: _secret, ...rest } = value;
  return rest;
}

export async function saveStripeWebhook(
  ctx: AppContext,
  endpoint: StoredStripeWebhook & { secret: string },
): Promise<void> {
  const value = { ...endpoint, secret: ctx.secrets.encrypt(endpoint.secret) };
  await writeSetting(ctx.db.kysely, STRIPE_WEBHOOK, JSON.stringify(value), ctx.clock.now());
  secretCache.set(ctx, { secrets: [endpoint.secret], loadedAt: ctx.clock.now() });
}

const secretCache = new WeakMap<AppContext, { secrets: string[]; loadedAt: number }>();
const RELOAD_MS = 5_000;

async function loadSecrets(ctx: AppContext): Promise<string[]> {
  const value = parse(stripeWebhookValue, await readSetting(ctx.db.kysely, STRIPE_WEBHOOK));
  const secrets = value ? [ctx.secrets.decrypt(value.secret)] : [];
  secretCache.set(ctx, { secrets, loadedAt: ctx.clock.now() });
  return secrets;
}

/** The signing secrets of the endpoints Rolegate created itself (cached). */
export async function storedWebhookSecrets(ctx: AppContext): Promise<string[]> {
  return secretCache.get(ctx)?.secrets ?? loadSecrets(ctx);
}

/** Reloads the secrets after a failed signature, unless they were read in the last 5 s; null = unchanged. */
export async function reloadWebhookSecrets(ctx: AppContext): Promise<string[] | null> {
  const cached = secretCache.get(ctx);
  if (cached && cached.loadedAt > ctx.clock.now() - RELOAD_MS) return null;
  const fresh = await loadSecrets(ctx);
  return JSON.stringify(fresh) === JSON.stringify(cached?.secrets ?? []) ? null : fresh;
}

export async function lastTestMail(ctx: AppContext): Promise<TestMailRecord | null> {
  return parse(testMailValue, await readSetting(ctx.db.kysely, TEST_MAIL));
}

export async function recordTestMail(ctx: AppContext, to: string): Promise<TestMailRecord> {
  const record = { to, sent_at: ctx.clock.now() };
  await writeSetting(ctx.db.kysely, TEST_MAIL, JSON.stringify(record), record.sent_at);
  return record;
}
