import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { openDb } from '../../src/adapters/store/db.js';
import { apiKeyName } from '../../src/cli/args.js';
import { sandboxDatabaseUrl } from '../../src/main/sandbox.js';

const run = promisify(execFile);

describe('the CLI beside a running sandbox', () => {
  vi.setConfig({ testTimeout: 120_000 });

  it('names a key from --name, --name=, or the words after create; refuses unknown flags', () => {
    expect(apiKeyName(['--name', 'ci'])).toBe('ci');
    expect(apiKeyName(['--name=deploy bot'])).toBe('deploy bot');
    expect(apiKeyName(['ci', 'key'])).toBe('ci key');
    expect(apiKeyName([])).toBe('default');
    expect(apiKeyName(['--nme', 'ci'])).toBeNull();
    expect(apiKeyName(['--name'])).toBeNull();
  });

  it('without DATABASE_URL in sandbox mode, api-keys create writes to the database npm start runs on', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rolegate-cli-sandbox-'));
    const env = { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    const { stdout, stderr } = await run(
      process.execPath,
      ['bin/rolegate.js', 'api-keys', 'create', '--name', 'ci'],
      { env },
    );
    expect(stdout).toMatch(/created key_\w+ \(ci\)/);
    expect(stderr).toMatch(/sandbox/);
    const db = openDb(sandboxDatabaseUrl(dataDir));
    try {
      const keys = await db.kysely.selectFrom('api_keys').select('name').execute();
      expect(keys.map((k) => k.name)).toEqual(['ci']);
    } finally {
      await db.close();
    }
  });
});
