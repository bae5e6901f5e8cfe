import { Client } from 'pg';
import type { ClientConfig } from 'pg';
import { PgOpsError } from '../../errors';

/**
 * SASL OAUTHBEARER (RFC 7628, as PostgreSQL 18 speaks it) on top of node-postgres, without
 * patching it: pg looks its SASL handlers up on the client when it attaches to the connection,
 * so a subclass can take over when the server offers OAUTHBEARER and defer to pg otherwise.
 */

/** The error document (RFC 7628 §3.2.2) the server answers a discovery request or a rejected token with. */
export interface OAuthChallenge {
  status: string;
  scope?: string;
  openidConfiguration?: string;
}

/** A token, or a callback giving one per connection; empty/undefined asks the server for discovery. */
export type BearerTokenSource = string | undefined | (() => string | undefined | Promise<string | undefined>);

export interface OAuthClientConfig extends ClientConfig {
  oauthBearerToken?: BearerTokenSource;
  /** Lets a token go over plain TCP: only for PGOAUTHDEBUG=UNSAFE (testing). */
  oauthAllowUnencrypted?: boolean;
}

/** pg connects to a Unix-domain socket when the host is a directory path. */
export function isSocketHost(host: string | undefined): boolean {
  return !!host && host.startsWith('/');
}

/** `user@host:port` of a pg client configuration, for messages. */
export function pgEndpoint(config: { user?: string; host?: string; port?: number }): string {
  return `${config.user ?? '?'}@${config.host ?? '?'}:${config.port ?? 5432}`;
}

/** Why a token was not sent over this connection; the caller adds nothing to it. */
export function tlsRequiredError(endpoint: string): PgOpsError {
  return new PgOpsError(
    'oauth-tls-required',
    `The server at ${endpoint} asks for an OAuth bearer token on a connection without TLS; pgops sends bearer tokens only over TLS ` +
      'or a Unix-domain socket, so no token was requested or sent',
    "Connect with sslmode=require or sslmode=verify-full (verify-full also checks the server's certificate) to a server with ssl=on, " +
      'and make its oauth lines hostssl in pg_hba.conf. For local testing only, PGOAUTHDEBUG=UNSAFE allows plain TCP.',
  );
}

/** RFC 6750 b64token: what the server accepts; anything else would be refused without a useful message. */
const b64token = /^[A-Za-z0-9\-._~+/]+=*$/;

export function isBearerToken(token: string): boolean {
  return b64token.test(token);
}

/** The client initial response: gs2 header `n,,` (no channel binding, no authzid), then `auth=`. */
export function initialResponse(token: string | undefined): string {
  return `n,,\x01auth=${token ? `Bearer ${token}` : ''}\x01\x01`;
}

/** Parses the server's error challenge; libpq insists on a JSON object with string members. */
export function parseChallenge(data: string): OAuthChallenge {
  let doc: unknown;
  try {
    doc = JSON.parse(data);
  } catch {
    throw new PgOpsError(
      'oauth-protocol',
      'The server sent a malformed OAUTHBEARER challenge (not JSON)',
      'Check that the server is PostgreSQL 18 or later.',
    );
  }
  const o = doc as Record<string, unknown>;
  if (!o || typeof o !== 'object' || Array.isArray(o) || typeof o.status !== 'string') {
    throw new PgOpsError(
      'oauth-protocol',
      'The server sent an OAUTHBEARER challenge without a "status"',
      'Check that the server is PostgreSQL 18 or later.',
    );
  }
  for (const key of ['scope', 'openid-configuration']) {
    if (o[key] !== undefined && typeof o[key] !== 'string') {
      throw new PgOpsError(
        'oauth-protocol',
        `The server's OAUTHBEARER challenge has a non-string "${key}"`,
        "Check the server's pg_hba.conf oauth line.",
      );
    }
  }
  return {
    status: o.status,
    scope: o.scope as string | undefined,
    openidConfiguration: o['openid-configuration'] as string | undefined,
  };
}

/** The connection error with the server's challenge attached, when the server sent one. */
export function challengeOf(err: unknown): OAuthChallenge | undefined {
  return (err as { oauthChallenge?: OAuthChallenge } | null)?.oauthChallenge;
}

interface PgConnection {
  sendSASLInitialResponseMessage(mechanism: string, response: string): void;
  sendSCRAMClientFinalMessage(data: string): void;
  emit(event: 'error', err: unknown): boolean;
  on(event: string, listener: (...args: unknown[]) => void): void;
  /** A net.Socket, or a tls.TLSSocket (whose `encrypted` is true) after pg's SSLRequest was accepted. */
  stream: { destroy(): void };
}

/** The parts of pg's Client we build on (present in pg 8.x, not in its type declarations). */
interface PgClientInternals {
  _attachListeners(con: PgConnection): void;
  _handleAuthSASL(msg: { mechanisms: string[] }): void;
  _handleAuthSASLContinue(msg: { data: string }): void;
  _handleAuthSASLFinal(msg: { data: string }): void;
  _handleReadyForQuery(msg: unknown): void;
  _handleErrorWhileConnecting(err: unknown): void;
}

const base = Client.prototype as unknown as PgClientInternals;

type ExchangeState = 'none' | 'discovery' | 'token' | 'error';

/**
 * A pg Client that answers AuthenticationSASL with OAUTHBEARER when the server offers it.
 * Works with pg-pool (`new Pool({ Client: OAuthBearerClient, oauthBearerToken })`) because it keeps
 * pg's callback-style connect. After an error challenge it answers the dummy `\x01` so the server's
 * own ErrorResponse surfaces, and it never accepts a success that follows an error (RFC 4422 §3.6).
 */
export class OAuthBearerClient extends Client {
  /** The challenge of the last exchange, when the server rejected the token or asked for discovery. */
  oauthChallenge?: OAuthChallenge;
  /** Whether a bearer token went to the server (false for a discovery request). */
  tokenWasSent = false;
  /** Whether the server asked for OAUTHBEARER on a connection with TLS or over a Unix-domain socket. */
  oauthTransportSafe = false;
  private exchange: ExchangeState = 'none';
  declare private readonly tokenSource: BearerTokenSource;
  private readonly allowUnencrypted: boolean;
  private readonly endpoint: string;

  constructor(config: OAuthClientConfig) {
    const { oauthBearerToken, oauthAllowUnencrypted, ...rest } = config;
    super(rest);
    this.allowUnencrypted = !!oauthAllowUnencrypted;
    this.endpoint = pgEndpoint(rest);
    // Not enumerable: the token must not show up when someone logs or inspects the client.
    Object.defineProperty(this, 'tokenSource', { value: oauthBearerToken, enumerable: false });
  }

  private get con(): PgConnection {
    return (this as unknown as { connection: PgConnection }).connection;
  }

  _attachListeners(con: PgConnection): void {
    base._attachListeners.call(this, con);
    con.on('authenticationOk', () => {
      if (this.exchange !== 'error') return;
      con.emit(
        'error',
        new PgOpsError(
          'oauth-protocol',
          'The server claimed success after rejecting the OAuth token; the connection was refused',
          "The server does not follow RFC 7628; report it to the server's administrator.",
        ),
      );
      con.stream.destroy();
    });
  }

  _handleAuthSASL(msg: { mechanisms: string[] }): void {
    if (!msg.mechanisms.includes('OAUTHBEARER')) {
      base._handleAuthSASL.call(this, msg);
      return;
    }
    const stream = this.con.stream as { encrypted?: boolean };
    this.oauthTransportSafe = stream.encrypted === true || isSocketHost((this as unknown as { host?: string }).host);
    void this.resolveToken()
      .then((token) => {
        // Checked here, on the stream itself, so no caller can send a token in the clear by mistake.
        if (token && !this.oauthTransportSafe && !this.allowUnencrypted) throw tlsRequiredError(this.endpoint);
        if (token && !isBearerToken(token)) {
          throw new PgOpsError(
            'oauth-token-format',
            'The OAuth access token contains characters a bearer token may not contain (RFC 6750)',
            'Check the identity provider; the token was not sent.',
          );
        }
        this.tokenWasSent = !!token;
        this.exchange = token ? 'token' : 'discovery';
        this.con.sendSASLInitialResponseMessage('OAUTHBEARER', initialResponse(token));
      })
      .catch((err: unknown) => this.con.emit('error', err));
  }

  _handleAuthSASLContinue(msg: { data: string }): void {
    if (this.exchange === 'none') {
      base._handleAuthSASLContinue.call(this, msg);
      return;
    }
    if (this.exchange === 'error') {
      this.con.emit(
        'error',
        new PgOpsError(
          'oauth-protocol',
          'The server sent additional OAuth data after an error',
          'The server does not follow RFC 7628.',
        ),
      );
      return;
    }
    try {
      this.oauthChallenge = parseChallenge(msg.data);
    } catch (err) {
      this.con.emit('error', err);
      return;
    }
    this.exchange = 'error';
    // RFC 7628 §3.2.3: a single 0x01 completes the failed exchange; the server then sends its ErrorResponse.
    this.con.sendSCRAMClientFinalMessage('\x01');
  }

  _handleAuthSASLFinal(msg: { data: string }): void {
    if (this.exchange === 'none') {
      base._handleAuthSASLFinal.call(this, msg);
      return;
    }
    this.con.emit(
      'error',
      new PgOpsError(
        'oauth-protocol',
        'The server sent unexpected additional OAuth data',
        'The server does not follow RFC 7628.',
      ),
    );
  }

  _handleReadyForQuery(msg: unknown): void {
    // After an error challenge the connection was refused above; a ReadyForQuery must not open it.
    if (this.exchange === 'error') return;
    base._handleReadyForQuery.call(this, msg);
  }

  _handleErrorWhileConnecting(err: unknown): void {
    if (this.oauthChallenge && err && typeof err === 'object') {
      Object.defineProperty(err, 'oauthChallenge', { value: this.oauthChallenge, enumerable: false });
    }
    base._handleErrorWhileConnecting.call(this, err);
  }

  private async resolveToken(): Promise<string | undefined> {
    const source = this.tokenSource;
    const token = typeof source === 'function' ? await source() : source;
    return token || undefined;
  }
}
