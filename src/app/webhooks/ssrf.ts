import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * The SSRF guard for merchant webhooks. A merchant chooses the URL we POST to, so without a guard
 * they could make Rolegate reach its own database port, the cloud metadata service, or anything
 * else on the private network. We refuse every address that is not plainly public, both when the
 * endpoint is saved and again on every send, inside the socket's own DNS lookup, so a name that
 * later resolves elsewhere (DNS rebinding) is caught at connect time.
 * Operators who need private targets (tests, the sandbox, an internal receiver) set
 * WEBHOOKS_ALLOW_PRIVATE=true.
 */

const v4: [string, number, string][] = [
  ['0.0.0.0', 8, 'an unspecified ("this network") address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a carrier-grade NAT address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address (this includes cloud metadata services)'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'an IETF protocol address'],
  ['192.0.2.0', 24, 'a documentation address'],
  ['192.88.99.0', 24, 'a relay address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];
// IPv4-mapped addresses (::ffff:0:0/96) are judged by the IPv4 rules above (BlockList maps them).
// Every other form that carries an IPv4 address inside is refused whole: a stack or a gateway on the
// way may deliver it to that IPv4 address, private or not.
const v6: [string, number, string][] = [
  ['::', 128, 'an unspecified address'],
  ['::1', 128, 'a loopback address'],
  ['::', 96, 'an IPv4-compatible address (it carries an IPv4 address)'],
  ['::ffff:0:0:0', 96, 'an IPv4-translated address (it carries an IPv4 address)'],
  ['64:ff9b::', 96, 'a NAT64 address'],
  ['64:ff9b:1::', 48, 'a local-use NAT64 address'],
  ['2001::', 32, 'a Teredo tunnel address (it carries an IPv4 address)'],
  ['2002::', 16, 'a 6to4 address (it carries an IPv4 address)'],
  ['100::', 64, 'a discard address'],
  ['2001:db8::', 32, 'a documentation address'],
  ['fc00::', 7, 'a unique-local address'],
  ['fe80::', 10, 'a link-local address'],
  ['fec0::', 10, 'a site-local address'],
  ['ff00::', 8, 'a multicast address'],
];
const rules = [
  ...v4.map(([net, prefix, why]) => ({ list: single(net, prefix, 'ipv4'), why })),
  ...v6.map(([net, prefix, why]) => ({ list: single(net, prefix, 'ipv6'), why })),
];

function single(net: string, prefix: number, type: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return list;
}

/** Names that point inside the host or the cloud whatever DNS says. */
const blockedNames = [/^localhost$/i, /\.localhost$/i, /^metadata\.google\.internal$/i, /\.internal$/i];

/**
 * Why `address` (an IP literal) must not be a webhook target, or null when it is public.
 * IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are judged by their IPv4 part.
 */
export function addressProblem(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const rule = rules.find((r) => r.list.check(address, type));
  return rule ? `${address} is ${rule.why}` : null;
}

export class UnsafeUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeUrlError';
  }
}

export interface UrlPolicy {
  /** WEBHOOKS_ALLOW_PRIVATE: allow private targets and plain http. */
  allowPrivate: boolean;
  /** DNS resolution; injectable so tests can play a rebinding attack. Default: the OS resolver. */
  resolve?: (host: string) => Promise<string[]>;
}

const allowHint = ' (an operator can allow private targets with WEBHOOKS_ALLOW_PRIVATE=true)';

function osResolve(host: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses: LookupAddress[]) =>
      err ? reject(err) : resolve(addresses.map((a) => a.address)),
    ),
  );
}

/** Parses a webhook URL and checks its scheme and form; throws UnsafeUrlError with the reason. */
export function parseWebhookUrl(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeUrlError(`"${raw}" is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UnsafeUrlError(`the URL must use https (got ${url.protocol.replace(/:$/, '')})`);
  if (url.protocol === 'http:' && !policy.allowPrivate)
    throw new UnsafeUrlError(`the URL must use https${allowHint}`);
  if (url.username || url.password)
    throw new UnsafeUrlError('the URL must not contain a user name or password');
  return url;
}

/** The host of a URL without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Checks that `raw` is an acceptable webhook URL and that every address its host resolves to is
 * public (unless private targets are allowed). Throws UnsafeUrlError saying why not.
 */
export async function assertSafeWebhookUrl(raw: string, policy: UrlPolicy): Promise<URL> {
  const url = parseWebhookUrl(raw, policy);
  if (policy.allowPrivate) return url;
  const host = hostOf(url);
  if (isIP(host) !== 0) {
    const problem = addressProblem(host);
    if (problem)
      throw new UnsafeUrlError(`${problem}; webhooks may only target public addresses${allowHint}`);
    return url;
  }
  if (blockedNames.some((re) => re.test(host)))
    throw new UnsafeUrlError(
      `${host} is an internal host name; webhooks may only target public addresses${allowHint}`,
    );
  let addresses: string[];
  try {
    addresses = await (policy.resolve ?? osResolve)(host);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new UnsafeUrlError(`the host ${host} does not resolve${code ? ` (${code})` : ''}`);
  }
  if (addresses.length === 0) throw new UnsafeUrlError(`the host ${host} does not resolve`);
  for (const address of addresses) {
    const problem = addressProblem(address);
    if (problem)
      throw new UnsafeUrlError(
        `${host} resolves to ${problem}; webhooks may only target public addresses${allowHint}`,
      );
  }
  return url;
}

/**
 * A `lookup` for http(s).request that refuses private addresses at connect time: the address the
 * socket connects to is the one we checked, so DNS cannot change between check and connect.
 */
export function guardedLookup(policy: UrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, []);
      if (!policy.allowPrivate) {
        for (const a of addresses) {
          const problem = addressProblem(a.address);
          if (problem) {
            const refusal: NodeJS.ErrnoException = new UnsafeUrlError(
              `${hostname} resolves to ${problem}; refused to connect${allowHint}`,
            );
            refusal.code = 'EUNSAFEADDRESS';
            return callback(refusal, []);
          }
        }
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first)
        return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), []);
      return callback(null, first.address, first.family);
    });
  };
}
