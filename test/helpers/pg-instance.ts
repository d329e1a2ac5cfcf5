import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A PostgreSQL server owned by one test: its own data directory and port, so the test can stop,
 * restart and start it without disturbing the shared server other tests use.
 */
export interface PgInstance {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  readonly port: number;
  /** `pg_ctl restart -m fast`: ends every connection, then comes back. */
  restart(): Promise<void>;
  /** `pg_ctl stop -m fast`: the database is gone until `start`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server (immediate) and removes its files. */
  destroy(): Promise<void>;
  /** The server's log, for a failing test's message. */
  log(): string;
}

/** The directory holding initdb and pg_ctl, or null when PostgreSQL's server binaries are not installed. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

/** Null when a test-owned PostgreSQL can be started here; otherwise the reason it cannot. */
export function pgInstanceUnavailable(): string | null {
  if (!postgresBinDir()) return 'PostgreSQL server binaries (initdb, pg_ctl) are not installed';
  if (isRoot() && !postgresUid()) return 'running as root and there is no "postgres" user to run initdb as';
  return null;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function postgresUid(): { uid: number; gid: number } | null {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : null;
}

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * initdb + pg_ctl start on a free port in a temp dir. initdb refuses to run as root, so as root the
 * directory is handed to the `postgres` user and every binary runs through `runuser`.
 */
export async function startPgInstance(): Promise<PgInstance> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries are not installed');
  const dir = mkdtempSync(join(tmpdir(), 'rolegate-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const owner = isRoot() ? postgresUid() : null;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const exec = (tool: string, args: string[]) =>
    owner ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args);
  const port = await freePort();
  await exec('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  // The socket goes in our own directory: the system one may not be writable by this user.
  const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c max_connections=100`;
  const ctl = (...args: string[]) => exec('pg_ctl', ['-D', data, '-l', logFile, ...args]);
  const start = async () => void (await ctl('-w', '-t', '60', '-o', serverOptions, 'start'));
  await start();
  return {
    // initdb -U postgres names the superuser, whoever runs the server.
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart: async () => void (await ctl('-w', '-t', '60', '-m', 'fast', '-o', serverOptions, 'restart')),
    stop: async () => void (await ctl('-w', '-t', '60', '-m', 'fast', 'stop')),
    start,
    destroy: async () => {
      await ctl('-w', '-t', '60', '-m', 'immediate', 'stop').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
  };
}
