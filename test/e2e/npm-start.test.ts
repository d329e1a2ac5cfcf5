import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { sandboxWanted } from '../../src/main/sandbox.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
  banner: Promise<string>;
}

/** `npm start` as the README says, with nothing but PATH, HOME, PORT and a scratch DATA_DIR. */
function npmStart(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['bin/rolegate.js', 'serve'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const banner = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('starts fresh on every')) resolve(out);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${out}`)));
  });
  return { child, output: () => out, banner };
}

const urlAfter = (banner: string, label: string): string => {
  const match = new RegExp(`${label}\\s+(http://\\S+)`).exec(banner);
  if (!match?.[1]) throw new Error(`no ${label} URL in:\n${banner}`);
  return match[1];
};

describe('the sandbox that npm start runs without configuration', () => {
  const running: ChildProcess[] = [];
  afterEach(() => {
    for (const child of running.splice(0)) child.kill('SIGKILL');
  });

  it('is chosen when neither Discord nor Stripe is configured, and SANDBOX overrides the guess', () => {
    expect(sandboxWanted(loadConfig({}))).toBe(true);
    expect(sandboxWanted(loadConfig({ SANDBOX: 'false' }))).toBe(false);
    expect(sandboxWanted(loadConfig({ DISCORD_BOT_TOKEN: 'x'.repeat(20) }))).toBe(false);
    expect(sandboxWanted(loadConfig({ DISCORD_BOT_TOKEN: 'x'.repeat(20), SANDBOX: 'true' }))).toBe(true);
  });

  it('prints the member view, offer pages, mail sink and API docs on 127.0.0.1, all answering, and a restart does not duplicate the demo', async () => {
    const home = mkdtempSync(join(tmpdir(), 'rolegate-start-'));
    const env = { HOME: home, DATA_DIR: join(home, 'data'), PORT: String(await freePort()) };

    for (let run = 1; run <= 2; run++) {
      const started = npmStart(env);
      running.push(started.child);
      const banner = await started.banner;
      const urls = [...banner.matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);
      expect(urls.length).toBeGreaterThanOrEqual(6);
      for (const url of urls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);

      const rolegate = `http://127.0.0.1:${env.PORT}`;
      expect((await fetch(`${rolegate}/healthz`)).status).toBe(200);
      const member = await fetch(urlAfter(banner, 'Member view \\(local Discord\\)'));
      const memberHtml = await member.text();
      expect(memberHtml).toContain('Buy Member');
      expect(memberHtml).toContain('Buy VIP Pass');
      expect((await fetch(urlAfter(banner, 'Member'))).status).toBe(200);
      expect((await fetch(urlAfter(banner, 'VIP Pass'))).status).toBe(200);
      expect((await fetch(urlAfter(banner, 'Mail sink'))).status).toBe(200);
      expect((await fetch(urlAfter(banner, 'Rolegate API docs'))).status).toBe(200);

      const key = /API key \(Authorize\):\s+(\S+)/.exec(banner)?.[1] ?? '';
      const headers = { authorization: `Bearer ${key}` };
      const servers = (await (await fetch(`${rolegate}/api/servers`, { headers })).json()) as {
        data: unknown[];
      };
      const offers = (await (await fetch(`${rolegate}/api/entitlements`, { headers })).json()) as {
        data: unknown[];
      };
      expect({ run, servers: servers.data.length, entitlements: offers.data.length }).toEqual({
        run,
        servers: 1,
        entitlements: 3,
      });

      started.child.kill('SIGTERM');
      const code = await new Promise((resolve) => started.child.once('exit', resolve));
      expect(code).toBe(0);
    }
  }, 90_000);
});
