/** Argument parsing shared by CLI commands (kept apart from main.ts, which runs on import). */

/** `api-keys create --name x` (or `--name=x`), `api-keys create x y`: the key's name; null when a flag is unknown. */
export function apiKeyName(args: string[]): string | null {
  const i = args.indexOf('--name');
  const inline = args.find((a) => a.startsWith('--name='));
  const named = inline !== undefined ? inline.slice(7) : i >= 0 ? (args[i + 1] ?? '') : undefined;
  if (named !== undefined) return named.trim() || null;
  if (args.some((a) => a.startsWith('--'))) return null;
  return args.join(' ').trim() || 'default';
}
