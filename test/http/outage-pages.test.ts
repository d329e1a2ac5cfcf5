import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDiscord, type LocalDiscord } from '@rolegate/local-discord';
import { startLocalStripe, type LocalStripe } from '@rolegate/local-stripe';
import { dropDatabase, freshDatabaseUrl, postgresUnavailable } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { CuttableProxy } from '../helpers/cuttable-proxy.js';
import Stripe from 'stripe';
import { newId } from '../../src/core/ids.js';

// A database outage (decision 0008) reaches a buyer's browser as a small HTML page with
// Retry-After, and the API as the one JSON error shape (decision 0023). The outage is real: the
// app reaches PostgreSQL through a TCP proxy the test cuts.

const pgReason = await postgresUnavailable();
const TOKEN = 'A'.repeat(43);
const OFFER = newId('entitlement', Date.now());

/** Every buyer-facing page and form, as a browser would ask for it. */
const pages: { name: string; method: 'GET' | 'POST'; path: string; form?: Record<string, string> }[] = [
  { name: 'offer page', method: 'GET', path: `/offers/${OFFER}` },
  {
    name: 'offer form',
    method: 'POST',
    path: `/offers/${OFFER}`,
    form: { email: 'buyer@example.test' },
  },
  // The path is filled in once the local Stripe holds the session (the page asks Stripe first).
  { name: 'success page', method: 'GET', path: '/checkout/success?session_id=' },
  { name: 'connect page', method: 'GET', path: `/discord/link?token=${TOKEN}` },
  { name: 'checkout link', method: 'GET', path: `/c/${TOKEN}` },
  { name: 'sign-in page', method: 'GET', path: `/buyer/sign-in?token=${TOKEN}` },
];

(pgReason ? describe.skip : describe)('pages during a database outage', () => {
  let t: TestApp;
  let proxy: CuttableProxy;
  let databaseUrl: string;
  let ls: LocalStripe;
  let discord: LocalDiscord;

  beforeAll(async () => {
    databaseUrl = await freshDatabaseUrl('postgres');
    const direct = new URL(databaseUrl);
    proxy = await CuttableProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
    // Stripe and Discord configured (the local ones), so every page gets as far as the database.
    ls = await startLocalStripe({ sweepIntervalMs: null });
    const stripe = new Stripe(ls.secretKey, { ...ls.stripeConfig, maxNetworkRetries: 0 });
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 500,
      product_data: { name: 'VIP' },
    });
    const grantId = newId('grant', Date.now());
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: price.id, quantity: 1 }],
      client_reference_id: grantId,
      metadata: { grant_id: grantId },
      success_url: 'http://127.0.0.1/success',
    });
    const success = pages.find((p) => p.name === 'success page')!;
    success.path += session.id;
    discord = await startLocalDiscord();
    t = await startTestApp({
      dialect: 'postgres',
      worker: false,
      env: {
        DATABASE_URL: proxy.via(databaseUrl),
        STRIPE_SECRET_KEY: ls.secretKey,
        STRIPE_API_URL: ls.url,
        STRIPE_WEBHOOK_SECRET: `whsec_${'b'.repeat(32)}`,
        DISCORD_API_URL: discord.apiBaseUrl,
        DISCORD_BOT_TOKEN: discord.botToken,
        DISCORD_APPLICATION_ID: discord.applicationId,
        DISCORD_CLIENT_SECRET: discord.clientSecret,
      },
    });
  });
  afterAll(async () => {
    proxy.restore();
    await t?.stop();
    await proxy?.stop();
    await ls?.close();
    await discord?.close();
    await dropDatabase(databaseUrl);
  });

  const ask = (p: (typeof pages)[number]) =>
    fetch(t.url + p.path, {
      method: p.method,
      redirect: 'manual',
      headers: {
        accept: 'text/html,application/xhtml+xml',
        ...(p.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(p.form ? { body: new URLSearchParams(p.form).toString() } : {}),
    });

  it('each page answers a small HTML 503 with Retry-After while the database is gone, and works again after', async () => {
    for (const p of pages) {
      const before = await ask(p);
      expect({ page: p.name, status: before.status }).not.toEqual({ page: p.name, status: 503 });
    }
    proxy.sever();
    try {
      for (const p of pages) {
        const res = await ask(p);
        const body = await res.text();
        expect({ page: p.name, status: res.status, type: res.headers.get('content-type') }).toEqual({
          page: p.name,
          status: 503,
          type: 'text/html; charset=utf-8',
        });
        expect(res.headers.get('retry-after')).toBe('5');
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(body).toMatch(/^<!doctype html><html lang="en">/);
        expect(body).toContain('<h1>Back in a moment</h1>');
        expect(body).not.toMatch(/service_unavailable|127\.0\.0\.1|postgres/i);
      }
      // The API keeps its JSON error shape.
      const api = await t.api('/api/grants');
      expect(api.status).toBe(503);
      expect(api.body.error.code).toBe('service_unavailable');
    } finally {
      proxy.restore();
    }
    // The database is back: the same request reaches the entitlement lookup again (no such offer).
    expect((await ask(pages[0]!)).status).toBe(404);
  });
});
