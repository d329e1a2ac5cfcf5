import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Encryption at rest (AES-256-GCM) and signed, expiring tokens (OAuth `state`).
 * The key comes from ENCRYPTION_KEY, or is generated once into DATA_DIR/secret.key (mode 0600).
 */
export class Secrets {
  private readonly key: Buffer;
  private readonly signingKey: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the encryption key must be 32 bytes');
    this.key = key;
    this.signingKey = createHmac('sha256', key).update('rolegate-signing').digest();
  }

  /** A key for one purpose (cookie signing, …), derived so no two uses share the encryption key. */
  deriveKey(purpose: string): Buffer {
    return createHmac('sha256', this.key).update(`rolegate-${purpose}`).digest();
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), data]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  decrypt(sealed: string): string {
    const [v, iv, tag, data] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || data === undefined) throw new Error('not an encrypted value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }

  /** A tamper-proof token carrying `payload` until `expiresAt` (epoch ms). */
  sign(payload: Record<string, unknown>, expiresAt: number): string {
    const body = Buffer.from(JSON.stringify({ ...payload, exp: expiresAt })).toString('base64url');
    const mac = createHmac('sha256', this.signingKey).update(body).digest('base64url');
    return `${body}.${mac}`;
  }

  /** The payload of a token from `sign`, or null when forged, malformed or expired. */
  verify(token: string, now = Date.now()): Record<string, unknown> | null {
    const [body, mac] = token.split('.');
    if (!body || !mac) return null;
    const want = createHmac('sha256', this.signingKey).update(body).digest();
    const got = Buffer.from(mac, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (typeof payload.exp !== 'number' || payload.exp < now) return null;
      return payload;
    } catch {
      return null;
    }
  }
}

function parseKey(value: string): Buffer {
  const hex = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (hex.length !== 32) throw new Error('ENCRYPTION_KEY must be 32 bytes as 64 hex characters or base64');
  return hex;
}

/** Loads the key from the environment value or DATA_DIR, generating and saving it on first start. */
export function loadSecrets(envKey: string | undefined, dataDir: string): Secrets {
  if (envKey) return new Secrets(parseKey(envKey));
  const file = join(dataDir, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  }
  return new Secrets(parseKey(readFileSync(file, 'utf8').trim()));
}
