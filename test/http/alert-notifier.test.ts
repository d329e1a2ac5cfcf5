import { startMailSink, type MailSink } from '@rolegate/mail-sink';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { seedServer } from '../helpers/seed.js';
import { pauseServer, resumeServer } from '../../src/app/access/servers.js';
import { scanAlerts } from '../../src/app/dashboard/alert-notifier.js';

describeEachBackend('alerts: emailed to admins, paused servers as webhook events', ({ dialect }) => {
  let t: TestApp;
  let sink: MailSink;
  let serverId = '';
  const db = () => t.app.ctx.db.kysely;
  const deliveries = async () =>
    (
      await db().selectFrom('webhook_deliveries').select(['event_type', 'payload']).orderBy('id').execute()
    ).map((d) => ({
      type: d.event_type,
      data: (JSON.parse(d.payload) as { data: Record<string, unknown> }).data,
    }));

  beforeAll(async () => {
    sink = await startMailSink();
    t = await startTestApp({
      dialect,
      worker: false,
      env: { SMTP_URL: sink.smtpUrl, ALERT_EMAILS: 'ops@example.com, owner@example.com' },
    });
    serverId = (await seedServer(t.app.ctx.db, { name: 'Alpha' })).id;
    const ep = await t.api('/api/webhook-endpoints', {
      method: 'POST',
      body: { url: 'https://example.com/hook', event_types: ['server.paused', 'server.resumed'] },
    });
    expect(ep.status).toBe(201);
  });
  afterAll(async () => {
    await t.stop();
    await sink.close();
  });

  it('a new alert is emailed to every admin address once, and a paused server is a server.paused event', async () => {
    await pauseServer(db(), serverId, 'The bot lost Manage Roles.', Date.now());
    const first = await scanAlerts(t.app.ctx);
    expect(first).toEqual({ opened: [`server_paused:${serverId}`], resolved: [], emailed: 1 });
    const mails = sink.mails.filter((m) => m.subject.includes('Alpha'));
    expect(
      mails
        .map((m) => m.recipients)
        .flat()
        .sort(),
    ).toEqual(['ops@example.com', 'owner@example.com']);
    expect(mails[0]?.text).toContain('The bot lost Manage Roles.');
    expect(await deliveries()).toEqual([
      {
        type: 'server.paused',
        data: expect.objectContaining({ server_id: serverId, reason: 'The bot lost Manage Roles.' }),
      },
    ]);

    const again = await scanAlerts(t.app.ctx);
    expect(again).toEqual({ opened: [], resolved: [], emailed: 0 });
    expect(sink.mails.filter((m) => m.subject.includes('Alpha'))).toHaveLength(2);
    expect(await deliveries()).toHaveLength(1);
  });

  it('the end of a pause is a server.resumed event; a second pause notifies again', async () => {
    await resumeServer(db(), serverId, Date.now());
    expect(await scanAlerts(t.app.ctx)).toMatchObject({ resolved: [`server_paused:${serverId}`] });
    expect((await deliveries()).map((d) => d.type)).toEqual(['server.paused', 'server.resumed']);
    expect((await deliveries())[1]?.data).toMatchObject({ server_id: serverId });

    await pauseServer(db(), serverId, 'Role moved above the bot.', Date.now());
    expect(await scanAlerts(t.app.ctx)).toMatchObject({ opened: [`server_paused:${serverId}`], emailed: 1 });
    expect((await deliveries()).map((d) => d.type)).toEqual([
      'server.paused',
      'server.resumed',
      'server.paused',
    ]);
    expect(sink.mails.filter((m) => m.text.includes('Role moved above the bot.'))).toHaveLength(2);
  });
});
