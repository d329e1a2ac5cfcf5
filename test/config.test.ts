import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { Secrets } from '../src/adapters/crypto/secrets.js';
import { createLogger } from '../src/ops/logger.js';

describe('configuration', () => {
  it('has working defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.DATABASE_URL).toBe('sqlite:./data/rolegate.db');
    expect(c.PORT).toBe(3000);
    expect(c.DISCORD_API_URL).toBe('https://discord.com/api');
    expect(c.RECONCILE_INTERVAL_MINUTES).toBe(5);
  });

  it('lists every bad key and why in one error', () => {
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        STRIPE_SECRET_KEY: 'pk_test_1',
        DISCORD_PUBLIC_KEY: 'zz',
      });
      expect.unreachable('loadConfig accepted a bad configuration');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      for (const key of ['PORT', 'DATABASE_URL', 'STRIPE_SECRET_KEY', 'DISCORD_PUBLIC_KEY'])
        expect(problems).toContain(key);
    }
  });

  it('rate limits default to per-minute budgets per client address, and TRUST_PROXY to no proxy', () => {
    const c = loadConfig({});
    expect(c.TRUST_PROXY).toBe(false);
    expect(c.RATE_LIMIT_PAGES_PER_MINUTE).toBe(120);
    expect(c.RATE_LIMIT_FORMS_PER_MINUTE).toBe(20);
    expect(c.RATE_LIMIT_SIGNED_PER_MINUTE).toBe(30_000);
    expect(c.RATE_LIMIT_PROBES_PER_MINUTE).toBe(600);
    expect(c.METRICS_TOKEN).toBeUndefined();
  });

  it("TRUST_PROXY takes true/false or the proxies' addresses and CIDRs, and refuses anything else", () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback, ::1' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      'loopback',
      '::1',
    ]);
    for (const bad of ['proxy.example.com', '10.0.0.0/33', '2']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/);
    }
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });

  it('a bad configuration stops the process with one message and exit code 1', () => {
    const run = spawnSync(process.execPath, ['bin/rolegate.js', 'migrate'], {
      env: { PATH: process.env.PATH, PORT: '-1', STRIPE_WEBHOOK_SECRET: 'nope' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Invalid configuration');
    expect(run.stderr).toContain('PORT');
    expect(run.stderr).toContain('STRIPE_WEBHOOK_SECRET: must start with whsec_');
  });
});

describe('secrets', () => {
  const secrets = new Secrets(Buffer.alloc(32, 7));

  it('encrypts at rest and decrypts back; the ciphertext does not contain the text', () => {
    const sealed = secrets.encrypt('discord-access-token-123');
    expect(sealed).not.toContain('discord-access-token-123');
    expect(secrets.decrypt(sealed)).toBe('discord-access-token-123');
  });

  it('refuses tampered ciphertext', () => {
    const sealed = secrets.encrypt('x');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('y').toString('base64url');
    expect(() => secrets.decrypt(parts.join('.'))).toThrow();
  });

  it('signed state: forged or expired tokens are refused', () => {
    const token = secrets.sign({ customer: 'cus_1' }, 2_000);
    expect(secrets.verify(token, 1_000)).toMatchObject({ customer: 'cus_1' });
    expect(secrets.verify(token, 3_000)).toBeNull();
    expect(secrets.verify(token.slice(0, -2) + 'xx', 1_000)).toBeNull();
    expect(new Secrets(Buffer.alloc(32, 8)).verify(token, 1_000)).toBeNull();
  });

  it('logs never carry tokens or secrets', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger('info', sink);
    log.info(
      { link: { access_token: 'tok_secret_value' }, config: { STRIPE_SECRET_KEY: 'sk_test_secret' } },
      'x',
    );
    expect(lines.join('')).not.toContain('tok_secret_value');
    expect(lines.join('')).not.toContain('sk_test_secret');
  });
});
