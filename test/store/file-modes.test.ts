import { mkdtempSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrate, openDb } from '../../src/adapters/store/db.js';
import { loadConfig } from '../../src/config.js';
import { startSandbox } from '../../src/main/sandbox.js';

/**
 * The SQLite database holds encrypted tokens, hashed API keys and every buyer's email: the files
 * Rolegate creates are readable by its own user only, whatever the umask says.
 */
const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('files Rolegate creates', () => {
  it('a new SQLite database, its WAL and shared-memory files, and its new directory are private', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'rolegate-mode-')), 'nested', 'data');
    const file = join(dir, 'rolegate.db');
    const db = openDb(`sqlite:${file}`);
    try {
      await migrate(db);
      await sql`SELECT 1`.execute(db.kysely);
      expect(modeOf(file)).toBe(0o600);
      for (const suffix of ['-wal', '-shm'])
        if (existsSync(file + suffix)) expect(modeOf(file + suffix)).toBe(0o600);
      expect(existsSync(`${file}-wal`)).toBe(true);
      expect(modeOf(dir)).toBe(0o700);
    } finally {
      await db.close();
    }
  });

  it('the sandbox database and the generated encryption key are private', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'rolegate-mode-')), 'data');
    const sandbox = await startSandbox(
      loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', SANDBOX: 'true' }),
    );
    try {
      expect(modeOf(join(dataDir, 'sandbox.db'))).toBe(0o600);
      expect(modeOf(join(dataDir, 'secret.key'))).toBe(0o600);
      expect(modeOf(dataDir)).toBe(0o700);
    } finally {
      await sandbox.stop();
    }
  });
});
