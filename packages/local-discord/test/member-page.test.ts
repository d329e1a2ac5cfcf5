import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDiscord, type LocalDiscord } from '../src/index.js';

/** An interactions endpoint that answers every click with an ephemeral reply and a link button. */
async function replyingEndpoint(): Promise<{ url: string; server: Server; clicks: unknown[] }> {
  const clicks: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const interaction = JSON.parse(body) as { type: number; data?: unknown };
      clicks.push(interaction.data);
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify(
          interaction.type === 1
            ? { type: 1 }
            : {
                type: 4,
                data: {
                  content: 'Here is **your** link',
                  flags: 64,
                  components: [
                    {
                      type: 1,
                      components: [{ type: 2, style: 5, label: 'Pay', url: 'https://pay.example/x' }],
                    },
                  ],
                },
              },
        ),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server, clicks };
}

describe('the Local Discord member view', () => {
  let discord: LocalDiscord;
  let endpoint: Awaited<ReturnType<typeof replyingEndpoint>>;
  let guildId: string;
  let alice: string;
  let channelId: string;
  let messageId: string;

  beforeAll(async () => {
    discord = await startLocalDiscord();
    endpoint = await replyingEndpoint();
    discord.setInteractionsEndpoint(endpoint.url);
    const guild = discord.createGuild({ name: 'Shop <b>' });
    guildId = guild.id;
    alice = discord.createUser({ username: 'alice' }).id;
    discord.addMember(guildId, alice);
    channelId = guild.systemChannelId ?? '';
    // A message with a button, posted as the bot would.
    const res = await fetch(`${discord.apiBaseUrl}/v10/channels/${channelId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bot ${discord.botToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        content: 'Pick one',
        components: [
          { type: 1, components: [{ type: 2, style: 1, label: 'Buy Gold', custom_id: 'buy:gold' }] },
        ],
      }),
    });
    messageId = ((await res.json()) as { id: string }).id;
  });

  afterAll(async () => {
    await discord.close();
    await new Promise((r) => endpoint.server.close(r));
  });

  const view = (extra = '') => fetch(`${discord.url}/member?guild=${guildId}&user=${alice}${extra}`);
  const click = (form: Record<string, string>) =>
    fetch(`${discord.url}/member/interact`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
      redirect: 'manual',
    });

  it('shows the channel message with its button, the member roles, and escapes names', async () => {
    const html = await (await view()).text();
    expect(html).toContain('Pick one');
    expect(html).toContain('value="buy:gold"');
    expect(html).toContain('Shop &lt;b&gt;');
    expect(html).not.toContain('Shop <b>');
    expect(html).toContain('id="roles" class="muted">none');
  });

  it('sends a signed component interaction on click and shows the ephemeral reply only to that member', async () => {
    const res = await click({
      user: alice,
      guild: guildId,
      channel: channelId,
      message: messageId,
      custom_id: 'buy:gold',
    });
    expect(res.status).toBe(303);
    const location = res.headers.get('location') ?? '';
    expect(location).toMatch(/interaction=\d+/);
    expect(endpoint.clicks.at(-1)).toMatchObject({ custom_id: 'buy:gold', component_type: 2 });
    const html = await (await fetch(`${discord.url}${location}`)).text();
    expect(html).toContain('Here is <strong>your</strong> link');
    expect(html).toContain('href="https://pay.example/x"');
    expect(html).toContain('Only you can see this');
    // Ephemeral: not in the channel for everyone else.
    expect(discord.channelMessages(channelId)).toHaveLength(1);
  });

  it('changes the polled fingerprint when the member roles change, so the page reloads itself', async () => {
    const state = () =>
      fetch(`${discord.url}/member/state?guild=${guildId}&user=${alice}`).then((r) => r.text());
    const before = await state();
    const gold = discord.createRole(guildId, { name: 'Gold' }).id;
    discord.setMemberRoles(guildId, alice, [gold]);
    expect(await state()).not.toBe(before);
    expect(await (await view()).text()).toContain('data-role="Gold"');
  });

  /** The server-sent events URL the page follows. */
  const followUrlOf = (html: string) => {
    const url = /new EventSource\("([^"]+)"\)/.exec(html)?.[1];
    if (!url) throw new Error('the page follows no event stream');
    return `${discord.url}${url}`;
  };

  it('follows the world over server-sent events: a change to what the page shows says "change"', async () => {
    const follow = await fetch(followUrlOf(await (await view()).text()));
    expect(follow.headers.get('content-type')).toBe('text/event-stream');
    const silver = discord.createRole(guildId, { name: 'Silver' }).id;
    discord.moderatorAddsRole(guildId, alice, silver);
    // The stream ends once it has said "change": the page reloads and follows again.
    expect(await follow.text()).toContain('event: change');
  });

  it('says "change" at once when the world changed between rendering the page and following it', async () => {
    const url = followUrlOf(await (await view()).text());
    const bronze = discord.createRole(guildId, { name: 'Bronze' }).id;
    discord.moderatorAddsRole(guildId, alice, bronze);
    expect(await (await fetch(url)).text()).toContain('event: change');
  });

  it('answers 400 with a reason for an unknown user or a click outside their server', async () => {
    expect((await click({ user: '123', guild: guildId, custom_id: 'x' })).status).toBe(400);
    const stranger = discord.createUser({ username: 'stranger' }).id;
    const res = await click({ user: stranger, guild: guildId, custom_id: 'x' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('not a member');
  });
});
