import type { LocalDiscord } from '@rolegate/local-discord';

/** A browser's cookies for one origin, enough to walk the sign-in round trip with fetch. */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  /** The raw Set-Cookie lines of the last response, to check attributes. */
  lastSetCookie: string[] = [];

  constructor(readonly base: string) {}

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async fetch(
    path: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { cookie: this.header(), ...init.headers };
    let body: string | undefined;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(this.base + path, {
      method: init.method ?? 'GET',
      headers,
      redirect: 'manual',
      ...(body === undefined ? {} : { body }),
    });
    this.lastSetCookie = res.headers.getSetCookie();
    for (const line of this.lastSetCookie) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async json(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
    const res = await this.fetch(path, init);
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : null }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  /** A JSON write with the session's CSRF token, as the dashboard sends it. */
  async write(path: string, init: { method?: string; body?: unknown } = {}) {
    const me = await this.json('/api/session');
    return this.json(path, {
      method: init.method ?? 'POST',
      body: init.body,
      headers: { 'x-csrf-token': String(me.body?.csrf_token ?? '') },
    });
  }
}

/**
 * Signs `userId` in through "Sign in with Discord" (optionally with an invitation token), the
 * consent click done by the local Discord. Returns the callback's answer.
 */
export async function signInThroughDiscord(
  jar: CookieJar,
  discord: LocalDiscord,
  userId: string,
  invite?: string,
): Promise<Response> {
  const start = await jar.fetch(
    `/auth/discord/sign-in${invite ? `?invite=${encodeURIComponent(invite)}` : ''}`,
  );
  if (start.status !== 302) throw new Error(`sign-in start: ${start.status} ${await start.text()}`);
  const authorize = new URL(start.headers.get('location') ?? '');
  const code = discord.authorizeCode({
    userId,
    scope: authorize.searchParams.get('scope') ?? '',
    redirectUri: authorize.searchParams.get('redirect_uri') ?? '',
  });
  const state = authorize.searchParams.get('state') ?? '';
  return jar.fetch(`/auth/discord/callback?code=${code}&state=${encodeURIComponent(state)}`);
}
