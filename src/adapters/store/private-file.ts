import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Makes sure `file` exists before SQLite opens it, created readable by this user only (0600) in a
 * directory created 0700: the database holds buyers' emails and encrypted tokens. SQLite gives its
 * -wal and -shm files the mode of the database file. An existing file keeps the mode its operator
 * gave it.
 */
export function ensurePrivateFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // 'a' creates the file when missing and never truncates one that exists.
  closeSync(openSync(file, 'a', 0o600));
}
