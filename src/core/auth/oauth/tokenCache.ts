/** What the device flow or a refresh yields, and what the cache keeps between connections. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** Epoch milliseconds; undefined when the provider did not say (then the token is tried until refused). */
  expiresAt?: number;
  /** Where to refresh: the token endpoint of the verified provider metadata. */
  tokenEndpoint: string;
}

/**
 * Who a token is for: the server it may be sent to (`host:port` as connected to, see tokenServer),
 * and the issuer, client and scope it was issued for. The extension backs this with SecretStorage,
 * the CLI and tests with memory.
 */
export interface TokenCacheKey {
  server: string;
  issuer: string;
  clientId: string;
  scope?: string;
}

/** The server part of a key: host (or socket directory, or hostaddr) and port, exactly as connected to. */
export function tokenServer(host: string | undefined, port: number | undefined): string {
  const h = host ?? 'localhost';
  return `${h.includes(':') ? `[${h}]` : h}:${port ?? 5432}`;
}

export interface TokenCache {
  get(key: TokenCacheKey): Promise<TokenSet | undefined>;
  set(key: TokenCacheKey, tokens: TokenSet): Promise<void>;
  delete(key: TokenCacheKey): Promise<void>;
}

/** A stable string for a key, for caches that store by name. Holds no secret. */
export function tokenCacheId(key: TokenCacheKey): string {
  return JSON.stringify([key.server, key.issuer, key.clientId, key.scope ?? '']);
}

/**
 * The id pgops used before tokens were bound to a server (issuer, client, scope). Such entries are
 * never read (a token kept that way may have been sent to any server); forget deletes them.
 */
function legacyTokenCacheId(key: Omit<TokenCacheKey, 'server'>): string {
  return JSON.stringify([key.issuer, key.clientId, key.scope ?? '']);
}

/** Tokens are renewed this long before the provider says they expire, so a connection is not refused mid-way. */
export const expiryMarginMs = 30_000;

export function isFresh(tokens: TokenSet, now: number): boolean {
  return tokens.expiresAt === undefined || tokens.expiresAt - expiryMarginMs > now;
}

/** In-memory cache for the CLI and tests; lives as long as the process. */
export class MemoryTokenCache implements TokenCache {
  private readonly entries = new Map<string, TokenSet>();

  get(key: TokenCacheKey): Promise<TokenSet | undefined> {
    return Promise.resolve(this.entries.get(tokenCacheId(key)));
  }

  set(key: TokenCacheKey, tokens: TokenSet): Promise<void> {
    this.entries.set(tokenCacheId(key), tokens);
    return Promise.resolve();
  }

  delete(key: TokenCacheKey): Promise<void> {
    this.entries.delete(tokenCacheId(key));
    return Promise.resolve();
  }
}

/** The shape of VS Code's SecretStorage (and of any keychain): string secrets by key. */
export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

/** Tokens kept in a secret store, one secret per server + issuer + client + scope; the key holds no secret. */
export class SecretStoreTokenCache implements TokenCache {
  constructor(
    private readonly secrets: SecretStore,
    private readonly prefix = 'pgops.oauth.tokens:',
  ) {}

  async get(key: TokenCacheKey): Promise<TokenSet | undefined> {
    return decodeTokenSet(await this.secrets.get(this.prefix + tokenCacheId(key)));
  }

  async set(key: TokenCacheKey, tokens: TokenSet): Promise<void> {
    await this.secrets.store(this.prefix + tokenCacheId(key), encodeTokenSet(tokens));
  }

  async delete(key: TokenCacheKey): Promise<void> {
    await this.secrets.delete(this.prefix + tokenCacheId(key));
  }

  /** Sign-out: the tokens of these parameters for each of `servers`, and any entry stored under the old key. */
  async forget(key: Omit<TokenCacheKey, 'server'>, servers: string[]): Promise<void> {
    for (const server of servers) await this.delete({ ...key, server });
    await this.secrets.delete(this.prefix + legacyTokenCacheId(key));
  }
}

/** Serialises a token set for a string secret store, and reads it back (undefined when damaged). */
export function encodeTokenSet(tokens: TokenSet): string {
  return JSON.stringify(tokens);
}

export function decodeTokenSet(text: string | undefined): TokenSet | undefined {
  if (!text) return undefined;
  try {
    const t = JSON.parse(text) as Partial<TokenSet>;
    if (typeof t.accessToken !== 'string' || typeof t.tokenEndpoint !== 'string') return undefined;
    return {
      accessToken: t.accessToken,
      tokenEndpoint: t.tokenEndpoint,
      refreshToken: typeof t.refreshToken === 'string' ? t.refreshToken : undefined,
      expiresAt: typeof t.expiresAt === 'number' ? t.expiresAt : undefined,
    };
  } catch {
    return undefined;
  }
}
