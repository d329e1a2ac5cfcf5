/**
 * A browser as far as cookies go: remembers what `Set-Cookie` says (name, value, path), sends the
 * cookies whose path matches, and never follows redirects, so a test sees every hop.
 */
export interface PageResponse {
  status: number;
  /** `Location`, for redirects. */
  location: string | null;
  text: string;
  headers: Headers;
  /** Every response header as `name: value` lines (to search them all at once). */
  headerText: string;
  setCookies: string[];
}

export class CookieBrowser {
  private readonly jar = new Map<string, { value: string; path: string }>();

  constructor(private readonly origin: string) {}

  /** Puts a cookie in the jar by hand (a forged or malformed one). */
  setCookie(name: string, value: string, path = '/') {
    this.jar.set(name, { value, path });
  }

  cookie(name: string): string | undefined {
    return this.jar.get(name)?.value;
  }

  get(url: string): Promise<PageResponse> {
    return this.request(url, {});
  }

  post(url: string, form: Record<string, string> = {}, headers: Record<string, string> = {}) {
    return this.request(url, { method: 'POST', form, headers });
  }

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> },
  ): Promise<PageResponse> {
    const target = new URL(url, this.origin);
    const headers: Record<string, string> = { ...init.headers };
    if (target.origin === new URL(this.origin).origin) {
      const cookies = [...this.jar]
        .filter(
          ([, c]) =>
            target.pathname === c.path ||
            target.pathname.startsWith(`${c.path.replace(/\/$/, '')}/`) ||
            c.path === '/',
        )
        .map(([name, c]) => `${name}=${c.value}`);
      if (cookies.length) headers.cookie = cookies.join('; ');
    }
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(target, {
      method: init.method ?? 'GET',
      headers,
      redirect: 'manual',
      ...(body === undefined ? {} : { body }),
    });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) this.remember(line);
    const headerLines: string[] = [];
    res.headers.forEach((value, name) => headerLines.push(`${name}: ${value}`));
    return {
      headerText: headerLines.join('\n'),
      status: res.status,
      location: res.headers.get('location'),
      text: await res.text(),
      headers: res.headers,
      setCookies,
    };
  }

  private remember(line: string) {
    const [pair, ...attributes] = line.split(';').map((p) => p.trim());
    const eq = (pair ?? '').indexOf('=');
    const name = (pair ?? '').slice(0, eq);
    const value = (pair ?? '').slice(eq + 1);
    const attr = (key: string) =>
      attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
    if (attr('max-age') === '0' || value === '') this.jar.delete(name);
    else this.jar.set(name, { value, path: attr('path') ?? '/' });
  }
}
