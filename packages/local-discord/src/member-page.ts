/**
 * The member view: a small web page where a person sees a Local Discord guild as one of its
 * members would — the channels with their messages and buttons, their DMs, their roles — and can
 * switch between users. Clicking a button sends a real signed interaction to the application's
 * endpoint, exactly as Discord does, and shows the ephemeral reply only that member would see.
 * Plain HTML forms; a few lines of script reload the page when the member's world changes.
 */
import { createHash } from 'node:crypto';
import type { APIMessage } from 'discord-api-types/v10';
import { formBody, type RouteContext, type RouteReply } from './http.js';
import type { InteractionInput } from './interaction-payload.js';
import { MessageFlag } from './message-validation.js';
import { escapeHtml as esc } from './oauth-page.js';
import type { RouteDef } from './router.js';
import type { GuildRecord, UserRecord } from './state.js';
import type { World } from './world.js';

/** A deferred reply is edited a moment later; the page waits this long before showing "thinking…". */
const DEFERRED_WAIT_MS = 8_000;

interface ButtonLike {
  type: number;
  style?: number;
  label?: string;
  url?: string;
  custom_id?: string;
  disabled?: boolean;
}

interface Selection {
  guild: GuildRecord | null;
  user: UserRecord | null;
  people: UserRecord[];
}

/** People listed in the side bar; a benchmark's million generated members are not. */
const MAX_PEOPLE = 50;

function select(world: World, query: URLSearchParams): Selection {
  const { state } = world;
  const guilds = [...state.guilds.values()];
  const guild = state.guilds.get(query.get('guild') ?? '') ?? guilds[0] ?? null;
  const people = state.users.list((u) => !u.bot, MAX_PEOPLE);
  const requested = state.users.get(query.get('user') ?? '');
  if (requested && !people.some((p) => p.id === requested.id)) people.push(requested);
  const user = requested ?? people[0] ?? null;
  return { guild, user, people };
}

const viewUrl = (guildId: string | undefined, userId: string | undefined, extra = '') =>
  `/member?${new URLSearchParams({ ...(guildId ? { guild: guildId } : {}), ...(userId ? { user: userId } : {}) }).toString()}${extra}`;

/** Discord's markdown, the little of it Rolegate uses: **bold**, `code`, line breaks. */
function markdown(text: string): string {
  return esc(text)
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\n/g, '<br>');
}

function buttonsOf(message: APIMessage): ButtonLike[][] {
  const rows = (message.components ?? []) as unknown as { components?: ButtonLike[] }[];
  return rows.map((row) => row.components ?? []);
}

function renderMessage(
  message: APIMessage,
  target: { guildId: string | null; userId: string; channelId: string; clickable: boolean },
  authorName: (id: string) => string,
): string {
  const embeds = (message.embeds ?? [])
    .map((e) => {
      const fields = (e.fields ?? [])
        .map((f) => `<div class="field"><b>${markdown(f.name)}</b><div>${markdown(f.value)}</div></div>`)
        .join('');
      return `<div class="embed">${e.title ? `<div class="etitle">${markdown(e.title)}</div>` : ''}${
        e.description ? `<div>${markdown(e.description)}</div>` : ''
      }${fields}</div>`;
    })
    .join('');
  const rows = buttonsOf(message)
    .map((row) => {
      const cells = row.map((b) => {
        const label = esc(b.label ?? 'Button');
        if (b.style === 5 && b.url)
          return `<a class="btn link" href="${esc(b.url)}" target="_blank" rel="noopener">${label} ↗</a>`;
        if (b.type !== 2 || !b.custom_id || !target.clickable || b.disabled)
          return `<button class="btn" disabled>${label}</button>`;
        return `<form method="post" action="/member/interact" class="inline">
<input type="hidden" name="user" value="${esc(target.userId)}">
<input type="hidden" name="guild" value="${esc(target.guildId ?? '')}">
<input type="hidden" name="channel" value="${esc(target.channelId)}">
<input type="hidden" name="message" value="${esc(message.id)}">
<button class="btn style${b.style ?? 1}" name="custom_id" value="${esc(b.custom_id)}">${label}</button></form>`;
      });
      return `<div class="row">${cells.join('')}</div>`;
    })
    .join('');
  const ephemeral = ((message.flags ?? 0) & MessageFlag.Ephemeral) !== 0;
  const loading = ((message.flags ?? 0) & MessageFlag.Loading) !== 0;
  return `<div class="msg${ephemeral ? ' ephemeral' : ''}" data-message-id="${esc(message.id)}">
<div class="author">${esc(authorName(message.author.id))} <span class="bot">APP</span></div>
${loading ? '<div class="muted">Rolegate is thinking…</div>' : `<div>${markdown(message.content)}</div>`}${embeds}${rows}
${ephemeral ? '<div class="muted">Only you can see this</div>' : ''}</div>`;
}

function page(title: string, body: string, followUrl: string | null): string {
  const poll =
    followUrl === null
      ? ''
      : `<script>
new EventSource(${JSON.stringify(followUrl)}).addEventListener('change', () => location.reload());
</script>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#313338;color:#dbdee1;margin:0;display:grid;grid-template-columns:16rem 1fr;min-height:100vh}
nav{background:#2b2d31;padding:1rem} main{padding:1rem 2rem;max-width:52rem}
h1{font-size:1.2rem;color:#f2f3f5} h2{font-size:1rem;color:#949ba4;text-transform:uppercase;margin-top:2rem}
a{color:#00a8fc} .muted{color:#949ba4;font-size:.8rem}
.user{display:block;padding:.4rem .6rem;border-radius:4px;color:#dbdee1;text-decoration:none}
.user.current{background:#404249;color:#fff}
.role{display:inline-block;border:1px solid;border-radius:1rem;padding:.1rem .6rem;margin:.15rem;font-size:.85rem}
.msg{background:#2b2d31;border-radius:6px;padding:.75rem 1rem;margin:.5rem 0}
.msg.ephemeral{border-left:4px solid #5865f2;background:#383a40}
.author{font-weight:600;color:#f2f3f5;margin-bottom:.25rem}
.bot{background:#5865f2;color:#fff;border-radius:3px;font-size:.65rem;padding:0 .25rem;vertical-align:middle}
.embed{border-left:4px solid #1e1f22;background:#232428;padding:.5rem .75rem;margin:.5rem 0;border-radius:4px}
.etitle{font-weight:600;color:#fff} .field{margin-top:.4rem}
.row{display:flex;gap:.5rem;flex-wrap:wrap;margin-top:.5rem} form.inline{display:inline}
.btn{border:0;border-radius:4px;padding:.45rem 1rem;font-size:.9rem;cursor:pointer;background:#4e5058;color:#fff;text-decoration:none;display:inline-block}
.btn.style1{background:#5865f2}.btn.style3{background:#248046}.btn.style4{background:#da373c}
.btn:disabled{opacity:.5;cursor:default} input[type=text]{width:60%;padding:.45rem;border-radius:4px;border:0}
.failure{background:#f23f43;color:#fff;padding:.5rem 1rem;border-radius:4px}
</style></head><body>${body}${poll}</body></html>`;
}

/** Everything on the page that changes without the person doing anything: the page reloads when it does. */
function fingerprint(world: World, sel: Selection): string {
  const { state } = world;
  const parts: string[] = [];
  if (sel.guild) {
    parts.push(JSON.stringify(sel.guild.members.get(sel.user?.id ?? '')?.roleIds ?? null));
    for (const channelId of sel.guild.channelIds) {
      for (const m of state.channels.get(channelId)?.messages.values() ?? [])
        parts.push(`${m.id}:${m.edited_timestamp ?? ''}`);
    }
  }
  const dm = state.channels.get(state.dmChannelIdOf(sel.user?.id ?? '') ?? '');
  for (const m of dm?.messages.values() ?? []) parts.push(`${m.id}:${m.edited_timestamp ?? ''}`);
  return parts.join('|');
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * Server-sent events for one open page: `change` once what the page shows differs from what it
 * was rendered with (`seen`), checked on every world change — and at once, for a change that
 * landed between rendering and connecting.
 */
function follow(world: World, query: URLSearchParams): RouteReply {
  const sel = select(world, query);
  const seen = query.get('seen') ?? '';
  return {
    status: 200,
    headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' },
    stream: (res) => {
      res.write(': following\n\n');
      let stop = (): void => {};
      const check = (): void => {
        if (digest(fingerprint(world, sel)) === seen) return;
        stop();
        res.end('event: change\ndata: {}\n\n');
      };
      stop = world.state.events.on(check);
      res.on('close', stop);
      check();
    },
  };
}

function render(world: World, query: URLSearchParams): RouteReply {
  const { state } = world;
  const sel = select(world, query);
  const { guild, user } = sel;
  if (!user) return { status: 200, html: page('Member view', '<main><h1>No users yet</h1></main>', null) };
  const authorName = (id: string) => state.users.get(id)?.globalName ?? state.users.get(id)?.username ?? id;
  const guildId = guild?.id;
  const people = sel.people
    .map(
      (p) =>
        `<a class="user${p.id === user.id ? ' current' : ''}" href="${esc(viewUrl(guildId, p.id))}">${esc(p.globalName ?? p.username)}</a>`,
    )
    .join('');
  const guildLinks = [...state.guilds.values()]
    .map(
      (g) =>
        `<a class="user${g.id === guildId ? ' current' : ''}" href="${esc(viewUrl(g.id, user.id))}"># ${esc(g.name)}</a>`,
    )
    .join('');
  const nav = `<nav><h1>Local Discord</h1><div class="muted">Signed in as</div>${people}<h2>Servers</h2>${guildLinks}</nav>`;

  let reply = '';
  const interactionId = query.get('interaction');
  if (interactionId) {
    try {
      const replies = world.interactions.replies(interactionId);
      reply = replies.failure
        ? `<p class="failure">This interaction failed (${esc(replies.failure)})</p>`
        : replies.messages
            .map((m) =>
              renderMessage(
                m,
                { guildId: guildId ?? null, userId: user.id, channelId: m.channel_id, clickable: false },
                authorName,
              ),
            )
            .join('');
      if (reply) reply = `<h2>Reply</h2><div id="reply">${reply}</div>`;
    } catch {
      reply = '';
    }
  }

  let server = '<p>This user is in no server.</p>';
  if (guild) {
    const member = guild.members.get(user.id);
    const roles = (member?.roleIds ?? [])
      .map((id) => guild.roles.get(id))
      .filter((r) => r !== undefined)
      .sort((a, b) => b.position - a.position)
      .map((r) => {
        const color = r.color ? `#${r.color.toString(16).padStart(6, '0')}` : '#949ba4';
        return `<span class="role" data-role="${esc(r.name)}" style="border-color:${color};color:${color}">${esc(r.name)}</span>`;
      })
      .join('');
    const channels = guild.channelIds
      .map((id) => state.channels.get(id))
      .filter((c) => c !== undefined)
      .map((c) => {
        const messages = [...c.messages.values()]
          .map((m) =>
            renderMessage(
              m,
              { guildId: guild.id, userId: user.id, channelId: c.id, clickable: member !== undefined },
              authorName,
            ),
          )
          .join('');
        return `<section class="channel" data-channel="${esc(c.name ?? '')}"><h2># ${esc(c.name ?? '')}</h2>${messages || '<p class="muted">No messages.</p>'}</section>`;
      })
      .join('');
    const command = member
      ? `<form method="post" action="/member/interact"><input type="hidden" name="user" value="${esc(user.id)}">
<input type="hidden" name="guild" value="${esc(guild.id)}"><input type="text" name="command" placeholder="/access  or  /claim ABCD-1234">
<button class="btn style1">Send</button></form>`
      : '';
    server = `<h1>${esc(guild.name)}</h1>
<p id="membership">${member ? 'Your roles: ' + (roles ? `<span id="roles">${roles}</span>` : '<span id="roles" class="muted">none</span>') : 'You are not a member of this server.'}</p>
${command}${channels}`;
  }
  const dmChannel = state.channels.get(state.dmChannelIdOf(user.id) ?? '');
  const dms = [...(dmChannel?.messages.values() ?? [])]
    .map((m) =>
      renderMessage(
        m,
        { guildId: null, userId: user.id, channelId: m.channel_id, clickable: true },
        authorName,
      ),
    )
    .join('');
  const seen = digest(fingerprint(world, sel));
  const followUrl = `/member/events?${new URLSearchParams({ guild: guildId ?? '', user: user.id, seen }).toString()}`;
  const body = `${nav}<main>${reply}${server}<section id="dms"><h2>Direct messages</h2>${dms || '<p class="muted">No direct messages.</p>'}</section>
<p><a class="btn" href="${esc(viewUrl(guildId, user.id))}">Refresh</a></p></main>`;
  return { status: 200, html: page(`${user.username} — Local Discord`, body, followUrl) };
}

/** `/claim ABCD-1234` → command `claim` with its first option set to the rest of the line. */
function commandInput(
  world: World,
  line: string,
  guildId: string | undefined,
): InteractionInput['data'] | null {
  const match = /^\/?(\S+)\s*(.*)$/.exec(line.trim());
  if (!match?.[1]) return null;
  const name = match[1];
  const value = match[2] ?? '';
  const option = world.commands.find(name, guildId)?.options?.[0] as
    { name?: unknown; type?: unknown } | undefined;
  if (typeof option?.name !== 'string' || value === '') return { name };
  return { name, options: [{ name: option.name, type: option.type ?? 3, value }] };
}

async function interact(world: World, ctx: RouteContext): Promise<RouteReply> {
  const form = formBody(ctx);
  const userId = form['user'] ?? '';
  const guildId = form['guild'] || undefined;
  const back = (extra = '') => ({
    status: 303,
    headers: { Location: viewUrl(guildId, userId, extra) },
    html: '',
  });
  if (!world.state.users.has(userId))
    return { status: 400, html: page('Bad request', '<main>Unknown user.</main>', null) };
  const input: InteractionInput = { type: 3, userId };
  if (guildId) input.guildId = guildId;
  if (form['command']) {
    const data = commandInput(world, form['command'], guildId);
    if (!data) return back();
    input.type = 2;
    input.data = data;
  } else {
    input.data = { custom_id: form['custom_id'] ?? '' };
    if (form['channel']) input.channelId = form['channel'];
    if (form['message']) input.messageId = form['message'];
  }
  let sent;
  try {
    sent = await world.interactions.send(input);
  } catch (error) {
    const message = error instanceof Error ? error.message : 'failed';
    return {
      status: 400,
      html: page('Interaction failed', `<main><p class="failure">${esc(message)}</p></main>`, null),
    };
  }
  // A deferred reply ("thinking…") is edited by a follow-up call; show the result, not the spinner.
  const deadline = Date.now() + DEFERRED_WAIT_MS;
  for (;;) {
    const original = world.interactions.replies(sent.interactionId).original;
    if (!original || ((original.flags ?? 0) & MessageFlag.Loading) === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return back(`&interaction=${encodeURIComponent(sent.interactionId)}`);
}

export function memberPageRoutes(world: World): RouteDef[] {
  const base = { auth: 'none', bucket: null, globalExempt: true } as const;
  return [
    { ...base, method: 'GET', pattern: '/member', handle: (ctx) => render(world, ctx.query) },
    {
      ...base,
      method: 'GET',
      pattern: '/member/state',
      handle: (ctx) => ({ status: 200, html: fingerprint(world, select(world, ctx.query)) }),
    },
    { ...base, method: 'GET', pattern: '/member/events', handle: (ctx) => follow(world, ctx.query) },
    { ...base, method: 'POST', pattern: '/member/interact', handle: (ctx) => interact(world, ctx) },
  ];
}
