import { createPublicKey, verify } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ButtonStyle, ComponentType, InteractionResponseType, MessageFlags } from 'discord-api-types/v10';
import { afterEach, describe, expect, it } from 'vitest';
import type { StartLocalDiscordOptions } from '../src/index.js';
import { discordError, ManualClock, shop, startHarness, type Harness } from './helpers.js';

interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: Record<string, unknown>;
  signatureValid: boolean;
}
type Answer = (received: Received) => Promise<{ status: number; body?: unknown }>;

let h: Harness;
let endpoint: Server | undefined;
const received: Received[] = [];

afterEach(async () => {
  received.length = 0;
  await h.discord.close();
  await stopEndpoint();
});

async function stopEndpoint(): Promise<void> {
  const server = endpoint;
  endpoint = undefined;
  if (!server) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/** A promise and the function that settles it: something a test waits on instead of sleeping. */
function settleable<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** Ed25519 over timestamp + raw body with the application's public key, as Rolegate will check it. */
function verifySignature(publicKeyHex: string, headers: IncomingHttpHeaders, raw: Buffer): boolean {
  const signature = headers['x-signature-ed25519'];
  const timestamp = headers['x-signature-timestamp'];
  if (typeof signature !== 'string' || typeof timestamp !== 'string') return false;
  const key = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(publicKeyHex, 'hex')]),
    format: 'der',
    type: 'spki',
  });
  return verify(null, Buffer.concat([Buffer.from(timestamp), raw]), key, Buffer.from(signature, 'hex'));
}

/** A minimal interactions endpoint: verifies, records, then answers as `answer` says. */
async function startEndpoint(
  options: StartLocalDiscordOptions,
  answer: Answer,
  checkSignature = true,
): Promise<void> {
  h = await startHarness(options);
  const publicKeyHex = h.discord.publicKeyHex;
  endpoint = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const entry: Received = {
        headers: req.headers,
        raw,
        body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>,
        signatureValid: verifySignature(publicKeyHex, req.headers, raw),
      };
      received.push(entry);
      const reply =
        checkSignature && !entry.signatureValid
          ? Promise.resolve({ status: 401, body: { error: 'invalid request signature' } })
          : entry.body['type'] === 1
            ? Promise.resolve({ status: 200, body: { type: 1 } })
            : answer(entry);
      void reply.then(({ status, body }) => {
        res.statusCode = status;
        if (body === undefined) return res.end();
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(body));
      });
    });
  });
  await new Promise<void>((resolve) => endpoint?.listen(0, '127.0.0.1', () => resolve()));
  h.discord.setInteractionsEndpoint(
    `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/interactions`,
  );
}

const deferEphemeral: Answer = () =>
  Promise.resolve({
    status: 200,
    body: { type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: 64 } },
  });

describe('interaction delivery', () => {
  it('POSTs a signed, fully shaped component interaction; the deferred reply is edited into an ephemeral link button', async () => {
    await startEndpoint({}, deferEphemeral);
    const { guildId, userId } = shop(h.discord);
    const shopChannel = h.discord.getGuild(guildId)?.system_channel_id ?? '';
    const post = await h.api.channels.createMessage(shopChannel, {
      content: 'Buy access',
      components: [{ type: 1, components: [{ type: 2, style: 1, label: 'VIP', custom_id: 'buy:ent_1' }] }],
    });

    const sent = await h.discord.sendInteraction({
      type: 3,
      guildId,
      userId,
      messageId: post.id,
      data: { custom_id: 'buy:ent_1' },
    });
    expect(sent).toMatchObject({ status: 200, timedOut: false, failure: null, body: { type: 5 } });
    expect(sent.elapsedMs).toBeLessThan(3000);

    const [delivery] = received;
    expect(delivery?.signatureValid).toBe(true);
    expect(delivery?.headers['content-type']).toBe('application/json');
    expect(Math.abs(Number(delivery?.headers['x-signature-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    expect(delivery?.body).toMatchObject({
      id: sent.interactionId,
      application_id: h.discord.applicationId,
      type: 3,
      token: sent.token,
      version: 1,
      guild_id: guildId,
      channel_id: shopChannel,
      member: { user: { id: userId }, roles: [] },
      data: { custom_id: 'buy:ent_1', component_type: 2 },
      message: { id: post.id },
      locale: 'en-US',
    });
    const payload = delivery?.body as { member: { permissions: string }; app_permissions: string };
    expect(payload.member.permissions).toMatch(/^\d+$/);
    expect(BigInt(payload.app_permissions) & (1n << 28n)).toBe(1n << 28n);

    // What Rolegate does next: edit @original (no bot auth) with a link to checkout.
    const edited = await h.api.interactions.editReply(h.discord.applicationId, sent.token, {
      content: 'Your checkout link (valid 24 h):',
      components: [
        {
          type: ComponentType.ActionRow,
          components: [
            {
              type: ComponentType.Button,
              style: ButtonStyle.Link,
              label: 'Pay',
              url: 'https://rolegate.test/c/abc',
            },
          ],
        },
      ],
    });
    expect(edited.flags).toBe(MessageFlags.Ephemeral);
    const replies = h.discord.interactionReplies(sent.interactionId);
    expect(replies.responses).toEqual([{ via: 'inline', type: 5, data: { flags: 64 } }]);
    expect(replies.original).toMatchObject({
      content: 'Your checkout link (valid 24 h):',
      components: [{ components: [{ style: 5, url: 'https://rolegate.test/c/abc' }] }],
    });
    // Ephemeral: visible only to the buyer, never stored in the channel.
    expect(h.discord.channelMessages(shopChannel).map((m) => m.id)).toEqual([post.id]);
    const followUp = await h.api.interactions.followUp(h.discord.applicationId, sent.token, {
      content: 'Also sent by DM',
      flags: 64,
    });
    expect(h.discord.interactionReplies(sent.interactionId).followups.map((m) => m.id)).toEqual([
      followUp.id,
    ]);
    expect(
      h.discord.requestLog.filter((e) => e.path.includes('/webhooks/')).every((e) => e.auth === 'none'),
    ).toBe(true);
  });

  it('can forge or age the signature; a verifying endpoint answers 401', async () => {
    await startEndpoint({}, deferEphemeral);
    const { guildId, userId } = shop(h.discord);
    const forged = await h.discord.sendInteraction(
      { type: 3, guildId, userId, data: { custom_id: 'buy:1' } },
      { forgeSignature: true },
    );
    expect(forged.status).toBe(401);
    expect(received[0]?.signatureValid).toBe(false);
    const stale = await h.discord.sendInteraction(
      { type: 3, guildId, userId, data: { custom_id: 'buy:1' } },
      { staleSeconds: 600 },
    );
    expect(received[1]?.signatureValid).toBe(true);
    expect(Date.now() / 1000 - Number(received[1]?.headers['x-signature-timestamp'])).toBeGreaterThan(590);
    expect(stale.status).toBe(200);
  });

  it('validates an endpoint like the developer portal: PING answered, forged PING refused', async () => {
    await startEndpoint({}, deferEphemeral);
    await expect(h.discord.validateInteractionsEndpoint()).resolves.toEqual({ ok: true, problems: [] });
    await h.discord.close();
    await stopEndpoint();
    await startEndpoint({}, deferEphemeral, false);
    const result = await h.discord.validateInteractionsEndpoint();
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toContain('forged');
  });
});

describe('interaction callbacks and follow-ups', () => {
  it('accepts the callback route (204), stores a public reply in the channel, refuses a second ack with 40060', async () => {
    let second: number | string | undefined;
    await startEndpoint({}, async ({ body }) => {
      const id = String(body['id']);
      const token = String(body['token']);
      await h.api.interactions.reply(id, token, { content: 'Claimed! Roles are on their way.' });
      second = (await discordError(h.api.interactions.reply(id, token, { content: 'again' }))).code;
      return { status: 202 };
    });
    const { guildId, userId } = shop(h.discord);
    await h.api.applicationCommands.bulkOverwriteGlobalCommands(h.discord.applicationId, [
      {
        name: 'claim',
        description: 'Claim a purchase',
        options: [{ type: 3, name: 'code', description: 'code', required: true }],
      },
    ]);
    const sent = await h.discord.sendInteraction({
      type: 2,
      guildId,
      userId,
      data: { name: 'claim', options: [{ type: 3, name: 'code', value: 'AB12' }] },
    });
    expect(sent).toMatchObject({ status: 202, failure: null });
    expect(second).toBe(40060);
    expect(received[0]?.body['data']).toMatchObject({ id: h.discord.commands()[0]?.id, name: 'claim' });
    const replies = h.discord.interactionReplies(sent.interactionId);
    expect(replies.responses).toMatchObject([{ via: 'callback', type: 4 }]);
    const channelId = h.discord.getGuild(guildId)?.system_channel_id ?? '';
    expect(h.discord.channelMessages(channelId).map((m) => m.content)).toEqual([
      'Claimed! Roles are on their way.',
    ]);
  });

  it('fails an interaction not acknowledged within the deadline; a late callback gets 10062', async () => {
    const driverGaveUp = settleable<void>();
    const lateCallback = settleable<number | string>();
    await startEndpoint({ interactionDeadlineMs: 200 }, async ({ body }) => {
      // Answers only once the driver has given up, however long that took on this machine.
      await driverGaveUp.promise;
      const late = await discordError(h.api.interactions.defer(String(body['id']), String(body['token'])));
      lateCallback.resolve(late.code);
      return { status: 202 };
    });
    const { guildId, userId } = shop(h.discord);
    const sent = await h.discord.sendInteraction({ type: 3, guildId, userId, data: { custom_id: 'buy:1' } });
    expect(sent).toMatchObject({ status: 0, timedOut: true });
    expect(sent.failure).toContain('200 ms');
    driverGaveUp.resolve();
    expect(await lateCallback.promise).toBe(10062);
  });

  it('expires the follow-up token after 15 minutes on the injected clock (401/50027)', async () => {
    const clock = new ManualClock(Date.now());
    await startEndpoint({ clock }, deferEphemeral);
    const { guildId, userId } = shop(h.discord);
    const sent = await h.discord.sendInteraction({ type: 3, guildId, userId, data: { custom_id: 'buy:1' } });
    clock.advance(15 * 60_000 - 1);
    await expect(
      h.api.interactions.getOriginalReply(h.discord.applicationId, sent.token),
    ).resolves.toMatchObject({ flags: 64 | 128 });
    clock.advance(1);
    const error = await discordError(
      h.api.interactions.editReply(h.discord.applicationId, sent.token, { content: 'late' }),
    );
    expect([error.status, error.code]).toEqual([401, 50027]);
    // A follow-up's 401 is unauthenticated: the bot token is kept.
    await expect(h.api.users.getCurrent()).resolves.toMatchObject({ id: h.discord.botUserId });
  });

  it('answers a PING sent by the driver', async () => {
    await startEndpoint({}, deferEphemeral);
    await expect(h.discord.sendInteraction({ type: 1 })).resolves.toMatchObject({
      status: 200,
      body: { type: 1 },
      failure: null,
    });
  });
});
