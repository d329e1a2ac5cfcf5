import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Every setting Rolegate reads from the environment, with its default.
 * `loadConfig` is called once, by a composition root; nothing else reads `process.env`.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalUrl = z.string().url().optional();

const perMinute = z.coerce.number().int().min(0).max(1_000_000);

/** One entry of a TRUST_PROXY list: a shorthand, an address, or an address/prefix. */
function isProxyEntry(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Fastify's `trustProxy`: a boolean or a list of addresses and CIDRs. (Fastify 5 trusts no one for a
 * bare hop count, since the nearest peer is not checked; name the proxy's address instead.)
 */
const trustProxy = z.string().transform((v, ctx): boolean | string[] => {
  const value = v.trim().toLowerCase();
  if (['true', 'yes', '1'].includes(value)) return true;
  if (['false', 'no', '0'].includes(value)) return false;
  const entries = value.split(',').map((e) => e.trim());
  const bad = entries.filter((e) => !isProxyEntry(e));
  if (bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `must be true, false, or addresses/CIDRs (not: ${bad.join(', ')})`,
    });
    return z.NEVER;
  }
  return entries;
});

export const configSchema = z.object({
  /** `sqlite:./data/rolegate.db` (default) or `postgres://user@host/db`. */
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:|postgres:\/\/|postgresql:\/\/)/, 'must start with sqlite: or postgres://')
    .default('sqlite:./data/rolegate.db'),
  /** Where generated secrets (encryption key, signing key) and the SQLite file live. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** HTTP port. 0 picks a free one. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Address to bind. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** The URL buyers and Discord reach this instance at (links in emails, OAuth redirects). */
  PUBLIC_URL: optionalUrl,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `auto`: readable lines when stdout is a terminal, JSON lines otherwise (files, log shippers). */
  LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto'),
  /** 32-byte key (hex or base64) for AES-256-GCM encryption at rest; generated into DATA_DIR when unset. */
  ENCRYPTION_KEY: z.string().optional(),

  DISCORD_API_URL: z.string().url().default('https://discord.com/api'),
  DISCORD_APPLICATION_ID: z
    .string()
    .regex(/^\d{5,25}$/, 'must be a Discord snowflake')
    .optional(),
  DISCORD_PUBLIC_KEY: z
    .string()
    .regex(/^[0-9a-f]{64}$/i, 'must be 64 hex characters')
    .optional(),
  DISCORD_BOT_TOKEN: z.string().min(10).optional(),
  DISCORD_CLIENT_SECRET: z.string().min(8).optional(),
  /**
   * A `rolegate discord-proxy` (e.g. `http://127.0.0.1:8090`) every process sends its Discord calls
   * through, so that they share one budget (decision 0017). Unset: this process calls Discord itself.
   */
  DISCORD_PROXY_URL: optionalUrl,
  /** Where `rolegate discord-proxy` listens. */
  DISCORD_PROXY_HOST: z.string().min(1).default('127.0.0.1'),
  DISCORD_PROXY_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  /** Discord's per-bot global limit, requests per second. */
  DISCORD_GLOBAL_LIMIT: z.coerce.number().int().min(1).max(10_000).default(50),
  /** Added to the limit's 1,000 ms window (a permit is held until 1,000 ms + this after the answer). */
  DISCORD_LIMIT_MARGIN_MS: z.coerce.number().int().min(0).max(1000).default(0),

  STRIPE_API_URL: optionalUrl,
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_/, 'must start with sk_test_, sk_live_, rk_test_ or rk_live_')
    .optional(),
  STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_', 'must start with whsec_').optional(),

  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Rolegate <rolegate@localhost>'),
  /** The seller's name in buyers' emails and pages. Default: the display name of MAIL_FROM. */
  MERCHANT_NAME: z.string().min(1).max(100).optional(),
  /** Comma-separated addresses that get an email when a new alert appears (a paused server, …). */
  ALERT_EMAILS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((a) => a.trim())
        .filter((a) => a.length > 0),
    )
    .pipe(z.array(z.email('each address must be an email address')).max(20))
    .optional(),

  /** Run the local Discord, local Stripe and mail sink when credentials are missing. */
  SANDBOX: bool.optional(),
  /** Jobs a worker runs at once. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /** Seconds a claimed job is leased before the reaper hands it to another worker. */
  JOB_LEASE_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  /** Minutes between reconciliations of each server. */
  RECONCILE_INTERVAL_MINUTES: z.coerce.number().min(0.05).max(1440).default(5),
  /** Reconcile breaker: a run that would remove more managed roles than this pauses the server instead. */
  RECONCILE_BREAKER_MAX_REMOVALS: z.coerce.number().int().min(0).default(50),
  /** Reconcile breaker: … or more than this share (0–1) of the server's managed role assignments. */
  RECONCILE_BREAKER_MAX_SHARE: z.coerce.number().min(0).max(1).default(0.1),
  /**
   * `on` (default): `serve` and `worker` listen to the Discord gateway (one connection across all
   * instances, led through the database) and repair rejoins, hand-edited roles and broken setups
   * at once. `off`: only the periodic reconcile repairs drift.
   */
  GATEWAY: z.enum(['on', 'off']).default('on'),
  /** Let merchant webhooks target private and loopback addresses (tests, the sandbox). */
  WEBHOOKS_ALLOW_PRIVATE: bool.default(false),

  /**
   * Which proxies may tell the client address (X-Forwarded-For), for rate limits and logs:
   * `false` (default: the socket's address), `true` (any peer), or the proxies' addresses/CIDRs
   * (comma-separated; `loopback`, `linklocal`, `uniquelocal` are shorthands).
   */
  TRUST_PROXY: trustProxy.default(false),
  /** Requests per minute one client address may make to one public page (offer page, callbacks). 0 = no limit. */
  RATE_LIMIT_PAGES_PER_MINUTE: perMinute.default(120),
  /** … to one public form (starting a checkout, asking for a link): each one costs Stripe calls or an email. */
  RATE_LIMIT_FORMS_PER_MINUTE: perMinute.default(20),
  /** … to the signed endpoints (Stripe webhook, Discord interactions), which legitimately come in bursts. */
  RATE_LIMIT_SIGNED_PER_MINUTE: perMinute.default(30_000),
  /** … to the health, readiness, metrics and API-document routes. */
  RATE_LIMIT_PROBES_PER_MINUTE: perMinute.default(600),
  /** When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws one ConfigError that lists every bad key and why. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  return result.data;
}

/** Names of settings that are secrets: never logged. */
export const secretKeys = [
  'ENCRYPTION_KEY',
  'DISCORD_BOT_TOKEN',
  'DISCORD_CLIENT_SECRET',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'SMTP_URL',
  'METRICS_TOKEN',
] as const satisfies readonly (keyof Config)[];

/** True when real Discord and Stripe credentials are all present. */
export function hasRealCredentials(config: Config): boolean {
  return Boolean(
    config.DISCORD_BOT_TOKEN &&
    config.DISCORD_APPLICATION_ID &&
    config.DISCORD_PUBLIC_KEY &&
    config.STRIPE_SECRET_KEY &&
    config.STRIPE_WEBHOOK_SECRET,
  );
}
