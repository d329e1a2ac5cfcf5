import {
  ButtonStyle,
  ComponentType,
  type APIActionRowComponent,
  type APIButtonComponent,
} from 'discord-api-types/v10';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discordError, shop, startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.discord.close();
});

const button = (customId: string): APIButtonComponent => ({
  type: ComponentType.Button,
  style: ButtonStyle.Primary,
  label: 'Buy',
  custom_id: customId,
});
const row = (...components: APIButtonComponent[]): APIActionRowComponent<APIButtonComponent> => ({
  type: ComponentType.ActionRow,
  components,
});

describe('DMs', () => {
  it('opens a DM channel (the same one twice) and delivers the message', async () => {
    const { userId } = shop(h.discord);
    const dm = await h.api.users.createDM(userId);
    expect(dm).toMatchObject({ type: 1, recipients: [{ id: userId }] });
    expect((await h.api.users.createDM(userId)).id).toBe(dm.id);
    const sent = await h.api.channels.createMessage(dm.id, { content: 'Your roles are ready' });
    expect(sent).toMatchObject({
      channel_id: dm.id,
      author: { id: h.discord.botUserId },
      content: 'Your roles are ready',
    });
    expect(h.discord.dmMessages(userId).map((m) => m.content)).toEqual(['Your roles are ready']);
  });

  it('answers 403/50007 when the user closed their DMs, and 50278 without a shared guild', async () => {
    const { userId } = shop(h.discord);
    h.discord.setDmsClosed(userId, true);
    const dm = await h.api.users.createDM(userId);
    const closed = await discordError(h.api.channels.createMessage(dm.id, { content: 'hi' }));
    expect([closed.status, closed.code]).toEqual([403, 50007]);
    const loner = h.discord.createUser({ username: 'loner' });
    const lonerDm = await h.api.users.createDM(loner.id);
    expect((await discordError(h.api.channels.createMessage(lonerDm.id, { content: 'hi' }))).code).toBe(
      50278,
    );
    expect(h.discord.dmMessages(userId)).toEqual([]);
  });
});

describe('Create Message validation (50035 with Discord’s nested errors)', () => {
  let channelId: string;
  beforeEach(() => {
    channelId = h.discord.createGuild({ name: 'Shop' }).systemChannelId ?? '';
  });

  it('limits content to 2000 characters', async () => {
    const error = await discordError(h.api.channels.createMessage(channelId, { content: 'x'.repeat(2001) }));
    expect([error.status, error.code]).toEqual([400, 50035]);
    expect(error.rawError).toMatchObject({
      errors: {
        content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] },
      },
    });
    await expect(
      h.api.channels.createMessage(channelId, { content: 'x'.repeat(2000) }),
    ).resolves.toBeDefined();
  });

  it('limits components to 5 rows of 5 buttons', async () => {
    const rows = Array.from({ length: 6 }, (_, i) => row(button(`buy:${i}`)));
    expect((await discordError(h.api.channels.createMessage(channelId, { components: rows }))).code).toBe(
      50035,
    );
    const wide = row(...Array.from({ length: 6 }, (_, i) => button(`b${i}`)));
    const error = await discordError(h.api.channels.createMessage(channelId, { components: [wide] }));
    expect(error.rawError).toMatchObject({
      errors: { components: { 0: { components: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } } } },
    });
    const full = Array.from({ length: 5 }, (_, r) =>
      row(...Array.from({ length: 5 }, (_, b) => button(`buy:${r}:${b}`))),
    );
    const posted = await h.api.channels.createMessage(channelId, { content: 'Shop', components: full });
    expect(h.discord.channelMessages(channelId).map((m) => m.id)).toEqual([posted.id]);
  });

  it('checks custom_id length and uniqueness and link url length', async () => {
    const long = await discordError(
      h.api.channels.createMessage(channelId, { components: [row(button('x'.repeat(101)))] }),
    );
    expect(long.rawError).toMatchObject({
      errors: {
        components: {
          0: { components: { 0: { custom_id: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH' }] } } } },
        },
      },
    });
    const dup = await discordError(
      h.api.channels.createMessage(channelId, { components: [row(button('a'), button('a'))] }),
    );
    expect(JSON.stringify(dup.rawError)).toContain('COMPONENT_CUSTOM_ID_DUPLICATED');
    const link = (url: string): APIButtonComponent => ({
      type: ComponentType.Button,
      style: ButtonStyle.Link,
      label: 'Pay',
      url,
    });
    const tooLong = await discordError(
      h.api.channels.createMessage(channelId, {
        components: [row(link(`https://pay.example/${'a'.repeat(500)}`))],
      }),
    );
    expect(JSON.stringify(tooLong.rawError)).toContain('Must be 512 or fewer in length.');
    await expect(
      h.api.channels.createMessage(channelId, { components: [row(link('https://pay.example/c/abc'))] }),
    ).resolves.toBeDefined();
  });

  it('refuses an empty message with 50006', async () => {
    const error = await discordError(h.api.channels.createMessage(channelId, { content: '' }));
    expect([error.status, error.code]).toEqual([400, 50006]);
  });
});

describe('Edit / Get / Delete Message', () => {
  it('edits, reads and deletes; unknown message 10008, unknown channel 10003', async () => {
    const channelId = h.discord.createGuild({ name: 'Shop' }).systemChannelId ?? '';
    const posted = await h.api.channels.createMessage(channelId, {
      content: 'v1',
      components: [row(button('buy:1'))],
    });
    const edited = await h.api.channels.editMessage(channelId, posted.id, { content: 'v2' });
    expect(edited).toMatchObject({ id: posted.id, content: 'v2', components: [{ type: 1 }] });
    expect(edited.edited_timestamp).not.toBeNull();
    await expect(h.api.channels.getMessage(channelId, posted.id)).resolves.toMatchObject({ content: 'v2' });
    await h.api.channels.deleteMessage(channelId, posted.id);
    const gone = await discordError(h.api.channels.getMessage(channelId, posted.id));
    expect([gone.status, gone.code]).toEqual([404, 10008]);
    const noChannel = await discordError(
      h.api.channels.createMessage('123456789012345678', { content: 'x' }),
    );
    expect([noChannel.status, noChannel.code]).toEqual([404, 10003]);
  });
});

describe('Application commands', () => {
  it('bulk overwrites global and guild commands, keeping ids of commands that stay', async () => {
    const guild = h.discord.createGuild({ name: 'Shop' });
    const first = await h.api.applicationCommands.bulkOverwriteGlobalCommands(h.discord.applicationId, [
      { name: 'claim', description: 'Claim a purchase with your code' },
    ]);
    expect(first).toMatchObject([{ name: 'claim', application_id: h.discord.applicationId, type: 1 }]);
    const second = await h.api.applicationCommands.bulkOverwriteGlobalCommands(h.discord.applicationId, [
      { name: 'claim', description: 'Claim a purchase' },
      { name: 'subscriptions', description: 'Your subscriptions' },
    ]);
    expect(second[0]?.id).toBe(first[0]?.id);
    expect(h.discord.commands().map((c) => c.name)).toEqual(['claim', 'subscriptions']);
    const guildCommands = await h.api.applicationCommands.bulkOverwriteGuildCommands(
      h.discord.applicationId,
      guild.id,
      [{ name: 'shop', description: 'Open the shop' }],
    );
    expect(guildCommands).toMatchObject([{ name: 'shop', guild_id: guild.id }]);
    const bad = await discordError(
      h.api.applicationCommands.bulkOverwriteGlobalCommands(h.discord.applicationId, [
        { name: 'Bad Name', description: 'x' },
      ]),
    );
    expect(bad.code).toBe(50035);
  });
});
