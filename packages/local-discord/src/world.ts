import type { CommandStore } from './commands.js';
import type { InteractionHub } from './interactions.js';
import type { OAuthStore } from './oauth-store.js';
import type { DiscordState } from './state.js';

/** The fake application Rolegate talks to: one bot, one OAuth2 client, one Ed25519 key. */
export interface AppIdentity {
  readonly id: string;
  readonly name: string;
  readonly botToken: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly publicKeyHex: string;
}

/** Everything the route handlers share. */
export interface World {
  readonly state: DiscordState;
  readonly oauth: OAuthStore;
  readonly interactions: InteractionHub;
  readonly commands: CommandStore;
  readonly app: AppIdentity;
  readonly now: () => number;
  /** Registered OAuth2 redirect URIs; empty = any http(s) URI is accepted (sandbox convenience). */
  readonly redirectUris: Set<string>;
  /** `http://127.0.0.1:PORT`, known once the server listens. */
  baseUrl: string;
}
