import { randomBytes } from 'node:crypto';

/** Discord's access-token lifetime in every docs example: 7 days. */
export const ACCESS_TOKEN_TTL_SECONDS = 604_800;
/** Authorization codes are short-lived; Discord doesn't document how short. */
export const CODE_TTL_MS = 10 * 60_000;

export interface CodeGrantInput {
  userId: string;
  scopes: readonly string[];
  redirectUri: string;
  /** Bot flow: the guild the bot was added to; the token response then carries `guild`. */
  guildId?: string;
  permissions?: string;
}

/** One user's consent to this application: every token issued from it dies together. */
interface Authorization {
  id: string;
  userId: string;
  scopes: string[];
  revoked: boolean;
}

interface CodeRecord extends CodeGrantInput {
  expiresAt: number;
  used: boolean;
}

interface AccessTokenRecord {
  authorization: Authorization;
  expiresAt: number;
  /** Replaced by a refresh: Discord then answers the stale token with 50025. */
  superseded: boolean;
}

interface RefreshTokenRecord {
  authorization: Authorization;
  used: boolean;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  scopes: string[];
  guildId?: string;
}

export type GrantFailure = 'invalid_code' | 'invalid_redirect_uri' | 'invalid_refresh_token';

export interface ValidAccessToken {
  userId: string;
  scopes: readonly string[];
  expiresAt: number;
}

/** Codes, access and refresh tokens of the Local Discord's OAuth2 server. */
export class OAuthStore {
  private readonly codes = new Map<string, CodeRecord>();
  private readonly accessTokens = new Map<string, AccessTokenRecord>();
  private readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  private readonly authorizations: Authorization[] = [];

  constructor(private readonly now: () => number) {}

  issueCode(input: CodeGrantInput): string {
    const code = randomToken(30);
    this.codes.set(code, {
      ...input,
      scopes: [...input.scopes],
      expiresAt: this.now() + CODE_TTL_MS,
      used: false,
    });
    return code;
  }

  /** Codes are single-use and bound to the redirect_uri they were issued for. */
  exchangeCode(code: string, redirectUri: string | undefined): IssuedTokens | GrantFailure {
    const record = this.codes.get(code);
    if (!record || record.used || this.now() >= record.expiresAt) return 'invalid_code';
    if (redirectUri !== record.redirectUri) return 'invalid_redirect_uri';
    record.used = true;
    const authorization: Authorization = {
      id: randomToken(12),
      userId: record.userId,
      scopes: [...record.scopes],
      revoked: false,
    };
    this.authorizations.push(authorization);
    const tokens = this.issueTokens(authorization);
    return record.guildId === undefined ? tokens : { ...tokens, guildId: record.guildId };
  }

  /** Refresh tokens are single-use and rotate; the previous access token stops working. */
  refresh(refreshToken: string): IssuedTokens | GrantFailure {
    const record = this.refreshTokens.get(refreshToken);
    if (!record || record.used || record.authorization.revoked) return 'invalid_refresh_token';
    record.used = true;
    for (const access of this.accessTokens.values()) {
      if (access.authorization === record.authorization) access.superseded = true;
    }
    return this.issueTokens(record.authorization);
  }

  /** RFC 7009 revocation: kills every token of the authorization the given token belongs to. */
  revoke(token: string): void {
    const authorization =
      this.accessTokens.get(token)?.authorization ?? this.refreshTokens.get(token)?.authorization;
    if (authorization) authorization.revoked = true;
  }

  /** The user removed the app in their settings (APPLICATION_DEAUTHORIZED). */
  revokeUser(userId: string): void {
    for (const authorization of this.authorizations) {
      if (authorization.userId === userId) authorization.revoked = true;
    }
  }

  /** The token's owner and scopes, or undefined when unknown, expired, refreshed or revoked. */
  resolveAccessToken(token: string): ValidAccessToken | undefined {
    const record = this.accessTokens.get(token);
    if (!record || record.superseded || record.authorization.revoked) return undefined;
    if (this.now() >= record.expiresAt) return undefined;
    return {
      userId: record.authorization.userId,
      scopes: record.authorization.scopes,
      expiresAt: record.expiresAt,
    };
  }

  private issueTokens(authorization: Authorization): IssuedTokens {
    const accessToken = randomToken(30);
    const refreshToken = randomToken(30);
    this.accessTokens.set(accessToken, {
      authorization,
      expiresAt: this.now() + ACCESS_TOKEN_TTL_SECONDS * 1000,
      superseded: false,
    });
    this.refreshTokens.set(refreshToken, { authorization, used: false });
    return {
      accessToken,
      refreshToken,
      expiresIn: ACCESS_TOKEN_TTL_SECONDS,
      scopes: [...authorization.scopes],
    };
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Discord-looking opaque tokens: base62, 30 characters for OAuth2 tokens. */
export function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}
