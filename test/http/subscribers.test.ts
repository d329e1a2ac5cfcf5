import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { seedServer } from '../helpers/seed.js';
import { newId } from '../../src/core/ids.js';
import { subscriberStatuses } from '../../src/app/dashboard/store/subscribers.js';

type Sub = { id: string; status: { code: string; who_acts: string | null; label: string } };

describeEachBackend('REST API: subscribers', ({ dialect }) => {
  let t: TestApp;
  const g: Record<string, string> = {};
  let entA = '';
  let entB = '';
  let serverB = '';
  const db = () => t.app.ctx.db.kysely;
  const patch = (id: string, set: Record<string, unknown>) =>
    db().updateTable('grants').set(set).where('id', '=', id).execute();

  beforeAll(async () => {
    t = await startTestApp({ dialect, worker: false });
    const a = await seedServer(t.app.ctx.db, { name: 'Alpha' });
    const b = await seedServer(t.app.ctx.db, { name: 'Beta' });
    serverB = b.id;
    const ent = async (server_id: string, name: string) =>
      (
        await t.api('/api/entitlements', {
          method: 'POST',
          body: { server_id, name, access: { kind: 'lifetime' } },
        })
      ).body.id as string;
    entA = await ent(a.id, 'Gold pass');
    entB = await ent(b.id, 'Beta pass');
    const grant = async (key: string, body: Record<string, unknown>) => {
      const res = await t.api('/api/grants', { method: 'POST', body });
      if (res.status !== 201) throw new Error(JSON.stringify(res.body));
      g[key] = res.body.id;
      return res.body as { id: string; customer_id: string };
    };
    await grant('delivering', {
      entitlement_id: entA,
      email: 'dee@example.com',
      discord_user_id: '530000000000000001',
    });
    const sub = await grant('subscribed', { entitlement_id: entA, discord_user_id: '530000000000000002' });
    await patch(g.subscribed!, { status: 'delivered', delivered_at: Date.now() });
    await db()
      .insertInto('discord_links')
      .values({
        customer_id: sub.customer_id,
        discord_user_id: '530000000000000002',
        username: 'Ana_100%',
        access_token_enc: null,
        refresh_token_enc: null,
        token_expires_at: null,
        scope: null,
        token_invalid_at: null,
        created_at: Date.now(),
        updated_at: Date.now(),
      })
      .execute();
    await grant('not_invited', { entitlement_id: entB, email: 'nobody@example.com' });
    const inv = await grant('invitation_sent', { entitlement_id: entB, email: 'Invited@Example.com' });
    await db()
      .insertInto('buyer_tokens')
      .values({
        id: newId('buyerToken'),
        purpose: 'connect',
        customer_id: inv.customer_id,
        grant_id: inv.id,
        entitlement_id: null,
        token_hash: 'x'.repeat(64),
        created_at: Date.now(),
        expires_at: Date.now() + 86_400_000,
        used_at: null,
      })
      .execute();
    await grant('failed', {
      entitlement_id: entA,
      email: 'fay@example.com',
      discord_user_id: '530000000000000003',
    });
    await patch(g.failed!, {
      status: 'failed',
      last_error_code: 'role_above_bot',
      last_error_owner: 'merchant',
      last_error_message: 'Move the Rolegate role above "Gold".',
    });
    await grant('past_due', {
      entitlement_id: entA,
      email: 'pat@example.com',
      discord_user_id: '530000000000000004',
    });
    await patch(g.past_due!, { status: 'delivered', grace_ends_at: Date.now() + 3 * 86_400_000 });
    await grant('revoked', { entitlement_id: entA, email: 'rev@example.com' });
    await t.api(`/api/grants/${g.revoked}/revoke`, { method: 'POST', body: { reason: 'Chargeback' } });
    await grant('checkout_open', { entitlement_id: entA, email: 'open@example.com' });
    await patch(g.checkout_open!, { active: 0 });
    // A checkout the buyer replaced by a new one before paying: revoked, never conferred access.
    await grant('replaced', { entitlement_id: entA, email: 'twice@example.com' });
    await patch(g.replaced!, {
      status: 'revoked',
      active: 0,
      announced_at: null,
      status_reason: 'checkout_replaced',
      revoked_at: Date.now(),
    });
    await db()
      .updateTable('customers')
      .set({ name: '=HYPERLINK("x")' })
      .where('email', '=', 'fay@example.com')
      .execute();
  });
  afterAll(() => t.stop());

  const list = async (query: string) => {
    const res = await t.api(`/api/subscribers${query}`);
    expect(res.status).toBe(200);
    return res.body.data as Sub[];
  };

  it('says each status in words, with who must act', async () => {
    const all = await list('?limit=100');
    const by = Object.fromEntries(all.map((s) => [s.id, s.status]));
    expect(by[g.subscribed!]).toMatchObject({ code: 'subscribed', label: 'Subscribed', who_acts: null });
    expect(by[g.delivering!]).toMatchObject({ code: 'delivering' });
    expect(by[g.not_invited!]).toMatchObject({ code: 'not_invited', who_acts: 'merchant' });
    expect(by[g.invitation_sent!]).toMatchObject({ code: 'invitation_sent', who_acts: 'buyer' });
    expect(by[g.failed!]).toMatchObject({ code: 'failed', who_acts: 'merchant' });
    expect(by[g.past_due!]).toMatchObject({ code: 'past_due', who_acts: 'buyer' });
    expect(by[g.revoked!]).toMatchObject({ code: 'revoked', label: 'Revoked' });
    expect(by[g.checkout_open!]).toBeUndefined();
    expect(by[g.replaced!]).toBeUndefined();
  });

  it('shows a checkout replaced before payment as an unfinished checkout, not as a revoked subscriber', async () => {
    const res = await t.api(`/api/subscribers/${g.replaced}`);
    expect(res.body.status).toMatchObject({ code: 'checkout_open', label: 'Checkout not finished' });
    expect(res.body.status.detail).toMatch(/new checkout/);
    expect((await list('?status=revoked&limit=100')).map((s) => s.id)).toEqual([g.revoked]);
  });

  it('the status filter returns exactly the subscribers shown with that status', async () => {
    for (const code of subscriberStatuses) {
      const rows = await list(`?status=${code}&limit=100`);
      expect(rows.map((s) => s.status.code).every((c) => c === code)).toBe(true);
      const expected = code === 'checkout_open' ? [g.replaced, g.checkout_open] : [g[code]];
      if (g[code]) expect(rows.map((s) => s.id)).toEqual(expected);
    }
  });

  it('filters by entitlement and server', async () => {
    const ofB = await list(`?entitlement_id=${entB}`);
    expect(new Set(ofB.map((s) => s.id))).toEqual(new Set([g.not_invited, g.invitation_sent]));
    expect((await list(`?server_id=${serverB}`)).map((s) => s.id).sort()).toEqual(
      ofB.map((s) => s.id).sort(),
    );
  });

  it('searches by email in any case, by Discord name and by Discord id; wildcards are literal', async () => {
    expect((await list('?q=INVITED@example')).map((s) => s.id)).toEqual([g.invitation_sent]);
    expect((await list('?q=ana_100%25')).map((s) => s.id)).toEqual([g.subscribed]);
    expect((await list('?q=530000000000000003')).map((s) => s.id)).toEqual([g.failed]);
    expect(await list('?q=%25')).toEqual([expect.objectContaining({ id: g.subscribed })]);
    expect(await list('?q=_')).toEqual([expect.objectContaining({ id: g.subscribed })]);
  });

  it('pages newest first without repeats', async () => {
    const seen: string[] = [];
    let cursor = '';
    for (;;) {
      const res = await t.api(`/api/subscribers?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...res.body.data.map((s: Sub) => s.id));
      if (!res.body.next_cursor) break;
      cursor = res.body.next_cursor;
    }
    expect(seen).toHaveLength(7);
    expect([...seen].sort().reverse()).toEqual(seen);
  });

  it('exports CSV with the same filters, safe to open in a spreadsheet', async () => {
    const res = await fetch(`${t.url}/api/subscribers.csv?server_id=${serverB}`, {
      headers: { authorization: `Bearer ${t.apiKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="subscribers-/);
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toMatch(/^id,status,status_label,who_acts,email,/);
    expect(lines).toHaveLength(3);
    const all = await (
      await fetch(`${t.url}/api/subscribers.csv`, { headers: { authorization: `Bearer ${t.apiKey}` } })
    ).text();
    expect(all).toContain(`"'=HYPERLINK(""x"")"`);
    expect(all).not.toMatch(/,=HYPERLINK/);
  });

  it('shows a subscriber with the timeline and Stripe links', async () => {
    await db()
      .insertInto('sync_log')
      .values({
        server_id: 'srv_x',
        discord_user_id: '530000000000000003',
        grant_id: g.failed!,
        action: 'add_role',
        role_id: null,
        outcome: 'failed',
        error_code: 'role_above_bot',
        error_owner: 'merchant',
        message: 'Move the Rolegate role above "Gold".',
        cause: `grant:${g.failed}`,
        created_at: Date.now() + 1000,
      })
      .execute();
    await db()
      .updateTable('customers')
      .set({ stripe_customer_id: 'cus_TEST1' })
      .where('email', '=', 'fay@example.com')
      .execute();
    const res = await t.api(`/api/subscribers/${g.failed}`);
    expect(res.status).toBe(200);
    expect(res.body.stripe_links).toEqual({
      customer: 'https://dashboard.stripe.com/test/customers/cus_TEST1',
      subscription: null,
      payments: [],
    });
    expect(res.body.timeline[0]).toMatchObject({
      kind: 'add_role',
      outcome: 'failed',
      error: { code: 'role_above_bot', owner: 'merchant' },
    });
    expect(res.body.timeline.at(-1)).toMatchObject({ kind: 'created', outcome: 'info' });
    const open = await t.api(`/api/subscribers/${g.checkout_open}`);
    expect(open.body.status.code).toBe('checkout_open');
  });

  it('refuses bad input with a 4xx', async () => {
    expect((await t.api('/api/subscribers?status=happy')).status).toBe(400);
    expect((await t.api('/api/subscribers?search=x')).status).toBe(400);
    expect((await t.api('/api/subscribers?q=')).status).toBe(400);
    expect((await t.api(`/api/subscribers?q=${'x'.repeat(101)}`)).status).toBe(400);
    expect((await t.api('/api/subscribers?entitlement_id=srv_0000000000aaaaaaaaaaaaaaaa')).status).toBe(400);
    expect((await t.api('/api/subscribers.csv?limit=5')).status).toBe(400);
    expect((await t.api('/api/subscribers/grt_0000000000aaaaaaaaaaaaaaaa')).status).toBe(404);
    expect((await t.api('/api/subscribers/cus_0000000000aaaaaaaaaaaaaaaa')).status).toBe(404);
  });
});
