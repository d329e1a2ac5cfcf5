/**
 * `mail-sink`: runs the mail sink alone and prints where to reach it. Received mail is kept in
 * memory until the process is stopped (Ctrl+C or SIGTERM).
 */
import { parseArgs } from 'node:util';
import { startMailSink } from './index.js';

const USAGE = `Usage: mail-sink [options]

  --smtp-port N   SMTP port on 127.0.0.1 (default 2525; 0 picks a free one)
  --web-port N    port of the page listing received mail (default 4025; 0 picks a free one)
  --json          print one JSON line with the URLs instead of the banner
  --help          this text`;

function readFlags(args: string[]) {
  return parseArgs({
    args,
    options: {
      'smtp-port': { type: 'string', default: '2525' },
      'web-port': { type: 'string', default: '4025' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  }).values;
}

const asPort = (text: string): number | null => {
  const port = Number(text);
  return Number.isInteger(port) && port >= 0 && port <= 65_535 ? port : null;
};

/** The ports to listen on, or null when the command line needs the usage text. */
function parseCommandLine(args: string[]): { smtpPort: number; webPort: number; json: boolean } | null {
  let values: ReturnType<typeof readFlags>;
  try {
    values = readFlags(args);
  } catch {
    return null;
  }
  const smtpPort = asPort(values['smtp-port']);
  const webPort = asPort(values['web-port']);
  if (smtpPort === null || webPort === null) return null;
  return { smtpPort, webPort, json: values.json };
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
  const sink = await startMailSink({ smtpPort: parsed.smtpPort, webPort: parsed.webPort });
  // Listening for the stop signals before printing: whoever reads the banner may stop us at once.
  const stop = (): void => {
    void sink.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const summary = { smtpUrl: sink.smtpUrl, webUrl: sink.webUrl, apiUrl: `${sink.webUrl}/api/mails` };
  console.log(
    parsed.json
      ? JSON.stringify(summary)
      : [
          `Mail sink listening on ${summary.smtpUrl}`,
          '',
          `  SMTP (SMTP_URL)   ${summary.smtpUrl}  (no TLS, any or no login)`,
          `  Received mail     ${summary.webUrl}`,
          `  As JSON           ${summary.apiUrl}`,
          '',
          'Mail lives in memory. Ctrl+C stops it.',
        ].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(`mail-sink: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
