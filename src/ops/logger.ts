import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * Where logs go: readable, coloured lines for a person at a terminal (`pretty`, or `auto` when
 * stdout is a TTY); JSON lines (pino's default, stdout) for everything else.
 */
export function logDestination(format: 'auto' | 'pretty' | 'json'): DestinationStream | undefined {
  const wantPretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (!wantPretty) return undefined;
  return pretty({ colorize: process.stdout.isTTY === true, ignore: 'pid,hostname,name', sync: true });
}

/** Structured JSON logs; secrets are redacted wherever they could appear. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name: 'rolegate',
      level,
      redact: {
        paths: [
          'req.headers.authorization',
          'headers.authorization',
          '*.access_token',
          '*.refresh_token',
          '*.client_secret',
          '*.secret',
          '*.token',
          'config.ENCRYPTION_KEY',
          'config.DISCORD_BOT_TOKEN',
          'config.DISCORD_CLIENT_SECRET',
          'config.STRIPE_SECRET_KEY',
          'config.STRIPE_WEBHOOK_SECRET',
          'config.SMTP_URL',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
