import type { APIMessage } from 'discord-api-types/v10';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_BOT_PERMISSIONS, Permission } from '@rolegate/local-discord';
import { describeEachBackend } from '../helpers/backends.js';
import { eventually, startUx, type UxHarness } from './harness.js';

type Row = { components: { custom_id?: string; label?: string }[] };

describeEachBackend('roles channel', ({ dialect }) => {
  let h: UxHarness;
  beforeAll(async () => {
    h = await startUx(dialect);
  });
  afterAll(() => h.stop());

  const view = async () => (await h.t.api(`/api/servers/${h.serverId}/roles-channel`)).body;
  const publishIdle = () =>
    eventually(async () => (await h.jobs('roles_channel.publish')).length === 0, 10_000, 'publish job done');
  const only = async (channelId: string): Promise<APIMessage> => {
    await publishIdle();
    const messages = h.discord.channelMessages(channelId);
    expect(messages).toHaveLength(1);
    return messages[0] as APIMessage;
  };
  const buttons = (m: APIMessage) => (m.components as Row[] | undefined)?.flatMap((r) => r.components) ?? [];

  it('without a picked channel and without Manage Channels, it tells the merchant what to fix and calls Discord for nothing', async () => {
    await h.entitlement({ name: 'Gold club' });
    await publishIdle();
    const v = await view();
    expect(v.channel_id).toBeNull();
    expect(v.problem).toMatch(/Manage Channels/);
    // Known from the stored permissions: no doomed call, and none repeated on the next edit.
    await h.entitlement({ name: 'Second' });
    await publishIdle();
    expect(h.discord.requestLog.filter((r) => r.path.endsWith('/channels'))).toEqual([]);
  });

  it('refuses a channel that is not in the server', async () => {
    const res = await h.t.api(`/api/servers/${h.serverId}/roles-channel`, {
      method: 'PUT',
      body: { channel_id: '123456789012345678' },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(/not a channel of server/);
  });

  it('posts one message listing name, price and duration with a buy button per entitlement in the picked channel', async () => {
    const res = await h.t.api(`/api/servers/${h.serverId}/roles-channel`, {
      method: 'PUT',
      body: { channel_id: h.generalChannelId },
    });
    expect(res.status).toBe(200);
    const message = await only(h.generalChannelId);
    const embed = message.embeds[0];
    expect(embed?.fields?.[0]).toMatchObject({
      name: 'Gold club',
      value: expect.stringContaining('$5.00 / month · renews until cancelled'),
    });
    const [button] = buttons(message);
    expect(button?.label).toBe('Buy Gold club');
    expect(button?.custom_id).toMatch(/^buy:ent_/);
    expect((await view()).problem).toBeNull();
    expect((await view()).message_id).toBe(message.id);
  });

  it('edits the same message in place when entitlements change', async () => {
    const before = await only(h.generalChannelId);
    const added = await h.entitlement({
      name: 'Silver pass',
      role_ids: [h.silver],
      prices: [{ kind: 'one_time', amount: 1200, currency: 'eur' }],
      access: { kind: 'days', days: 30 },
    });
    await eventually(
      async () => (h.discord.channelMessages(h.generalChannelId)[0]?.embeds[0]?.fields ?? []).length === 3,
    );
    const after = await only(h.generalChannelId);
    expect(after.id).toBe(before.id);
    expect(after.embeds[0]?.fields?.find((f) => f.name === 'Silver pass')?.value).toContain(
      '€12.00 once · 30 days of access',
    );
    expect(buttons(after).map((b) => b.custom_id)).toContain(`buy:${added}`);

    await h.t.api(`/api/entitlements/${added}/archive`, { method: 'POST' });
    await eventually(
      async () => (h.discord.channelMessages(h.generalChannelId)[0]?.embeds[0]?.fields ?? []).length === 2,
    );
    expect((await only(h.generalChannelId)).id).toBe(before.id);
  });

  it('posts the message again when someone deleted it', async () => {
    const old = await only(h.generalChannelId);
    const del = await fetch(`${h.discord.apiBaseUrl}/v10/channels/${h.generalChannelId}/messages/${old.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bot ${h.discord.botToken}` },
    });
    expect(del.status).toBe(204);
    expect(h.discord.channelMessages(h.generalChannelId)).toEqual([]);
    await h.entitlement({ name: 'Platinum' });
    await eventually(
      async () => h.discord.channelMessages(h.generalChannelId).length === 1,
      10_000,
      're-posted',
    );
    const fresh = await only(h.generalChannelId);
    expect(fresh.id).not.toBe(old.id);
    expect((await view()).message_id).toBe(fresh.id);
  });

  it('creates a #roles channel when none is picked and the bot may create channels', async () => {
    h.discord.setBotPermissions(h.guildId, DEFAULT_BOT_PERMISSIONS | Permission.ManageChannels);
    await h.t.app.ctx.db.kysely
      .updateTable('servers')
      .set({ roles_channel_id: null, roles_message_id: null })
      .where('id', '=', h.serverId)
      .execute();
    const res = await h.t.api(`/api/servers/${h.serverId}/roles-channel/publish`, { method: 'POST' });
    expect(res.status).toBe(202);
    const v = await eventually(async () => {
      const got = await view();
      return got.message_id ? got : null;
    });
    expect(v.channel_id).not.toBe(h.generalChannelId);
    const message = await only(v.channel_id);
    expect(buttons(message)).toHaveLength(3);
    expect(v.problem).toBeNull();
  });
});
