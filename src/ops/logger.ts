import pino, { type DestinationStream, type Logger } from 'pino';

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
