/**
 * `local-stripe`: runs the local Stripe alone and prints where to reach it. The process keeps its
 * objects in memory until it is stopped (Ctrl+C or SIGTERM).
 */
import { parseArgs } from 'node:util';
import { startLocalStripe, type LocalStripe, type LocalStripeOptions } from './index.js';
import { seedCatalog, type SeededCatalog } from './seed.js';

const USAGE = `Usage: local-stripe [options]

  --port N                port to listen on (default 4002; 0 picks a free one)
  --host HOST             interface to listen on (default 127.0.0.1)
  --empty                 start with no products or prices (default: a seeded catalog)
  --secret-key KEY        the API key to accept (default: a random sk_test_local_…)
  --webhook-url URL       POST signed events here (the endpoint's secret is printed)
  --webhook-secret SECRET that endpoint's signing secret (default: a random whsec_…)
  --json                  print one JSON line with the URLs and keys instead of the banner
  --help                  this text`;

/** What the command prints with --json: everything a script needs to point a client at it. */
export interface LocalStripeSummary {
  url: string;
  secretKey: string;
  stripeConfig: LocalStripe['stripeConfig'];
  controlUrl: string;
  webhook: { id: string; url: string; secret: string } | null;
  catalog: SeededCatalog | null;
}

interface Flags {
  empty: boolean;
  json: boolean;
  webhookUrl: string | null;
  webhookSecret: string | null;
}

function readFlags(args: string[]) {
  return parseArgs({
    args,
    options: {
      port: { type: 'string', default: '4002' },
      host: { type: 'string', default: '127.0.0.1' },
      empty: { type: 'boolean', default: false },
      'secret-key': { type: 'string' },
      'webhook-url': { type: 'string' },
      'webhook-secret': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  }).values;
}

/** The options to start with, or null when the command line needs the usage text. */
function parseCommandLine(args: string[]): { options: LocalStripeOptions; flags: Flags } | null {
  let values: ReturnType<typeof readFlags>;
  try {
    values = readFlags(args);
  } catch {
    return null;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) return null;
  const options: LocalStripeOptions = { port, host: values.host };
  if (values['secret-key'] !== undefined) options.secretKey = values['secret-key'];
  return {
    options,
    flags: {
      empty: values.empty,
      json: values.json,
      webhookUrl: values['webhook-url'] ?? null,
      webhookSecret: values['webhook-secret'] ?? null,
    },
  };
}

function banner(s: LocalStripeSummary): string {
  const lines = [
    `Local Stripe listening on ${s.url}`,
    '',
    `  Secret key                ${s.secretKey}`,
    `  Official client           new Stripe(key, ${JSON.stringify(s.stripeConfig)})`,
    `  Control API               ${s.controlUrl}/state  (Bearer secret key)`,
  ];
  if (s.webhook !== null) {
    lines.push(
      `  Webhook endpoint          ${s.webhook.url}`,
      `  Webhook signing secret    ${s.webhook.secret}`,
    );
  } else {
    lines.push('  Webhook endpoints         none (--webhook-url, or POST /_sandbox/webhook_endpoints)');
  }
  if (s.catalog !== null) {
    const { prices } = s.catalog;
    lines.push(
      `  Prices                    monthly ${prices.monthly}, yearly ${prices.yearly}, lifetime ${prices.lifetime}`,
    );
  } else {
    lines.push('  Catalog                   empty (no products, no prices)');
  }
  lines.push('', 'State lives in memory. Ctrl+C stops it.');
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(USAGE);
    return;
  }
  const parsed = parseCommandLine(process.argv.slice(2));
  if (parsed === null) {
    console.error(USAGE);
    process.exit(2);
  }
  const local = await startLocalStripe(parsed.options);
  // Listening for the stop signals before printing: whoever reads the banner may stop us at once.
  const stop = (): void => {
    void local.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const { flags } = parsed;
  // Seeded before the endpoint is added, so a receiver sees only what happens after the start.
  const catalog = flags.empty ? null : await seedCatalog(local);
  const endpoint =
    flags.webhookUrl === null
      ? null
      : local.addWebhookEndpoint(
          flags.webhookUrl,
          flags.webhookSecret === null ? {} : { secret: flags.webhookSecret },
        );
  const summary: LocalStripeSummary = {
    url: local.url,
    secretKey: local.secretKey,
    stripeConfig: local.stripeConfig,
    controlUrl: `${local.url}/_sandbox`,
    webhook: endpoint && { id: endpoint.id, url: endpoint.url, secret: endpoint.secret },
    catalog,
  };
  console.log(flags.json ? JSON.stringify(summary) : banner(summary));
}

main().catch((error: unknown) => {
  console.error(`local-stripe: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
