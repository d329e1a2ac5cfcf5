/**
 * `local-discord`: runs the local Discord alone and prints where to reach it. The process keeps
 * its world in memory until it is stopped (Ctrl+C or SIGTERM).
 */
import { parseArgs } from 'node:util';
import { startLocalDiscord, type LocalDiscord, type StartLocalDiscordOptions } from './index.js';
import { seedWorld, type SeededWorld } from './seed.js';

const USAGE = `Usage: local-discord [options]

  --port N                  port to listen on (default 4001; 0 picks a free one)
  --host HOST               interface to listen on (default 127.0.0.1)
  --empty                   start with no guilds or users (default: a seeded demo guild)
  --bot-token TOKEN         the bot token to accept (default: random)
  --interactions-url URL    where to POST signed interactions (button clicks, slash commands)
  --json                    print one JSON line with the URLs and credentials instead of the banner
  --help                    this text`;

/** What the command prints with --json: everything a script needs to point a client at it. */
export interface LocalDiscordSummary {
  url: string;
  apiBaseUrl: string;
  /** Where @discordjs/ws connects (it finds it through GET /gateway/bot itself). */
  gatewayUrl: string;
  applicationId: string;
  botToken: string;
  clientId: string;
  clientSecret: string;
  publicKeyHex: string;
  world: SeededWorld | null;
  memberViewUrl: string | null;
}

function readFlags(args: string[]) {
  return parseArgs({
    args,
    options: {
      port: { type: 'string', default: '4001' },
      host: { type: 'string', default: '127.0.0.1' },
      empty: { type: 'boolean', default: false },
      'bot-token': { type: 'string' },
      'interactions-url': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  }).values;
}

/** The options to start with, or null when the command line asks for (or needs) the usage text. */
function parseCommandLine(args: string[]): { options: StartLocalDiscordOptions; flags: Flags } | null {
  let values: ReturnType<typeof readFlags>;
  try {
    values = readFlags(args);
  } catch {
    return null;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) return null;
  const options: StartLocalDiscordOptions = { port, host: values.host };
  if (values['bot-token'] !== undefined) options.botToken = values['bot-token'];
  return {
    options,
    flags: { empty: values.empty, json: values.json, interactionsUrl: values['interactions-url'] ?? null },
  };
}

interface Flags {
  empty: boolean;
  json: boolean;
  interactionsUrl: string | null;
}

function summarize(discord: LocalDiscord, world: SeededWorld | null): LocalDiscordSummary {
  return {
    url: discord.url,
    apiBaseUrl: discord.apiBaseUrl,
    gatewayUrl: discord.gateway.url,
    applicationId: discord.applicationId,
    botToken: discord.botToken,
    clientId: discord.clientId,
    clientSecret: discord.clientSecret,
    publicKeyHex: discord.publicKeyHex,
    world,
    memberViewUrl: world && `${discord.url}/member?guild=${world.guildId}&user=${world.users.alice}`,
  };
}

function banner(s: LocalDiscordSummary): string {
  const lines = [
    `Local Discord listening on ${s.url}`,
    '',
    `  API base (@discordjs/rest)  ${s.apiBaseUrl}  (version 10)`,
    `  Gateway (@discordjs/ws)     ${s.gatewayUrl}  (via GET /gateway/bot)`,
    `  Bot token                   ${s.botToken}`,
    `  Application / client id     ${s.applicationId}`,
    `  Client secret               ${s.clientSecret}`,
    `  Interactions public key     ${s.publicKeyHex}`,
    `  OAuth2 authorize page       ${s.url}/oauth2/authorize`,
  ];
  if (s.world !== null) {
    const { world } = s;
    lines.push(
      `  Member view                 ${s.memberViewUrl ?? ''}`,
      `  Guild                       ${world.guildName} ${world.guildId}`,
      `  Roles                       Member ${world.roles.member}, VIP ${world.roles.vip}`,
      `  Users                       alice ${world.users.alice}, bob ${world.users.bob}, carol ${world.users.carol}`,
    );
  } else {
    lines.push('  World                       empty (no guilds, no users)');
  }
  lines.push('', 'State lives in memory. Ctrl+C stops it.');
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(USAGE);
    return;
  }
  const parsed = parseCommandLine(process.argv.slice(2));
  if (parsed === null) {
    console.error(USAGE);
    process.exit(2);
  }
  const discord = await startLocalDiscord({ applicationName: 'Local Discord', ...parsed.options });
  // Listening for the stop signals before printing: whoever reads the banner may stop us at once.
  const stop = (): void => {
    void discord.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const world = parsed.flags.empty ? null : seedWorld(discord);
  if (parsed.flags.interactionsUrl !== null) discord.setInteractionsEndpoint(parsed.flags.interactionsUrl);
  const summary = summarize(discord, world);
  console.log(parsed.flags.json ? JSON.stringify(summary) : banner(summary));
}

main().catch((error: unknown) => {
  console.error(`local-discord: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
