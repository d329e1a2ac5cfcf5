import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  defaultDeliveryPolicy,
  parseRetryAfter,
  postWebhook,
  retryDelay,
} from '../../src/app/webhooks/deliver.js';
import { addressProblem, assertSafeWebhookUrl } from '../../src/app/webhooks/ssrf.js';

describe('SSRF guard', () => {
  it.each([
    ['127.0.0.1', /loopback/],
    ['10.0.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.0.10', /private/],
    ['169.254.169.254', /metadata/],
    ['100.100.100.200', /carrier-grade NAT/],
    ['0.0.0.0', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['::1', /loopback/],
    ['fe80::1', /link-local/],
    ['fc00::5', /unique-local/],
    ['fd00:ec2::254', /unique-local/],
    ['::ffff:10.0.0.1', /private/],
    ['64:ff9b::7f00:1', /NAT64/],
    // IPv6 forms that carry an IPv4 address inside, which some stacks route to that IPv4 address.
    ['::ffff:7f00:1', /loopback/],
    ['::ffff:169.254.169.254', /metadata/],
    ['::a00:1', /IPv4-compatible/],
    ['::127.0.0.1', /IPv4-compatible/],
    ['::ffff:0:a00:1', /IPv4-translated/],
    ['2002:a00:1::', /6to4/],
    ['2002:7f00:1::1', /6to4/],
    ['64:ff9b:1::a00:1', /NAT64/],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /Teredo/],
  ])('%s is not a public address', (address, why) => {
    expect(addressProblem(address)).toMatch(why);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '172.32.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '2001:4860:4860::8888',
  ])('%s is public', (address) => {
    expect(addressProblem(address)).toBeNull();
  });

  it('a host name is judged by every address it resolves to', async () => {
    const resolve = async () => ['93.184.215.14', '10.0.0.7'];
    await expect(
      assertSafeWebhookUrl('https://shop.example/hook', { allowPrivate: false, resolve }),
    ).rejects.toThrow(/shop\.example resolves to 10\.0\.0\.7 is a private address/);
    const publicOnly = async () => ['93.184.215.14'];
    await expect(
      assertSafeWebhookUrl('https://shop.example/hook', { allowPrivate: false, resolve: publicOnly }),
    ).resolves.toBeInstanceOf(URL);
  });

  it('a host that does not resolve is refused with the reason', async () => {
    const resolve = async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    };
    await expect(
      assertSafeWebhookUrl('https://gone.example/', { allowPrivate: false, resolve }),
    ).rejects.toThrow(/does not resolve \(ENOTFOUND\)/);
  });

  it('allow-private admits loopback and plain http, but never other schemes or credentials', async () => {
    await expect(
      assertSafeWebhookUrl('http://127.0.0.1:8080/', { allowPrivate: true }),
    ).resolves.toBeInstanceOf(URL);
    await expect(assertSafeWebhookUrl('file:///etc/passwd', { allowPrivate: true })).rejects.toThrow(/https/);
    await expect(assertSafeWebhookUrl('http://u:p@127.0.0.1/', { allowPrivate: true })).rejects.toThrow(
      /password/,
    );
  });

  it('the connect-time lookup refuses a name that resolves to loopback, so rebinding cannot slip through', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const outcome = await postWebhook(
        new URL(`http://localhost:${port}/`),
        '{}',
        {},
        {
          timeoutMs: 2000,
          allowPrivate: false,
        },
      );
      expect(outcome).toMatchObject({
        kind: 'error',
        error: expect.stringMatching(/loopback.*refused to connect/),
      });
      expect(hits).toBe(0);
      const allowed = await postWebhook(
        new URL(`http://127.0.0.1:${port}/`),
        '{}',
        {},
        {
          timeoutMs: 2000,
          allowPrivate: true,
        },
      );
      expect(allowed).toMatchObject({ kind: 'response', statusCode: 200, body: 'ok' });
    } finally {
      server.close();
    }
  });
});

describe('one attempt', () => {
  it('a receiver that stalls in the middle of its answer is cut off at the deadline', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const outcome = await postWebhook(
        new URL(`http://127.0.0.1:${port}/`),
        '{}',
        {},
        {
          timeoutMs: 300,
          allowPrivate: true,
        },
      );
      expect(outcome).toMatchObject({ kind: 'error', error: 'no response within 300 ms' });
      expect(outcome.durationMs).toBeGreaterThanOrEqual(290);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('retry schedule', () => {
  const fixed = { ...defaultDeliveryPolicy, jitter: 0 };

  it('follows the Standard Webhooks example: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h, then stops', () => {
    const waits = Array.from({ length: 10 }, (_, i) => retryDelay(fixed, i + 1, null));
    expect(waits).toEqual([5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 504e5, 72e6, 864e5, null]);
  });

  it('jitter stays within ±10% of the scheduled wait', () => {
    expect(retryDelay({ ...defaultDeliveryPolicy, random: () => 0 }, 2, null)).toBe(270_000);
    expect(retryDelay({ ...defaultDeliveryPolicy, random: () => 1 }, 2, null)).toBe(330_000);
  });

  it('Retry-After can lengthen a wait but not shorten it, and is capped at a day', () => {
    expect(retryDelay(fixed, 1, 60_000)).toBe(60_000);
    expect(retryDelay(fixed, 2, 1_000)).toBe(300_000);
    expect(retryDelay(fixed, 1, 30 * 86_400_000)).toBe(86_400_000);
  });

  it('Retry-After is read as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
  });
});
