import { CancelledError, PgOpsError, throwIfAborted } from '../../errors';
import type { ProviderMetadata } from './discovery';
import type { HttpOptions, HttpResponse } from './http';
import { httpExchange, jsonObject } from './http';
import type { TokenSet } from './tokenCache';
import { inertText } from './untrusted';

/**
 * What the user must see: where to go and which code to enter, as the provider sent them (show them
 * through devicePromptText or inertText, open a page only through verificationPage). The user code is not logged.
 */
export interface DevicePrompt {
  verificationUri: string;
  verificationUriComplete?: string;
  userCode: string;
  expiresInSeconds: number;
}

export interface OAuthClientIdentity {
  clientId: string;
  /** When set (even empty), HTTP Basic client authentication is used, like libpq. */
  clientSecret?: string;
}

export interface DeviceFlowOptions extends OAuthClientIdentity, HttpOptions {
  scope?: string;
  /** Shown once, after the first poll says the user has not approved yet. */
  onPrompt(prompt: DevicePrompt): void | Promise<void>;
  /** Waits between polls; tests pass a recording one. Must reject with CancelledError on abort. */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

export const deviceCodeGrant = 'urn:ietf:params:oauth:grant-type:device_code';

export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CancelledError());
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Client authentication per libpq: Basic when a secret is configured, else client_id in the body. */
function withClientAuth(
  form: Record<string, string>,
  id: OAuthClientIdentity,
): { form: Record<string, string>; basic?: { user: string; password: string } } {
  if (id.clientSecret !== undefined) return { form, basic: { user: id.clientId, password: id.clientSecret } };
  return { form: { ...form, client_id: id.clientId } };
}

/** The token endpoint's error (RFC 6749 §5.2): `error` plus an optional description. */
function tokenError(res: HttpResponse, url: string, what: string): { error: string; description: string } {
  const doc = jsonObject(res, what, url);
  const error = typeof doc.error === 'string' ? doc.error : '';
  if (!error)
    throw new PgOpsError(
      'oauth-http',
      `The ${what} at ${inertText(url)} answered HTTP ${res.status} without an OAuth error code`,
      'Check the identity provider.',
    );
  return {
    error: inertText(error, 100),
    description: inertText(typeof doc.error_description === 'string' ? doc.error_description : error),
  };
}

function tokenSetFrom(
  doc: Record<string, unknown>,
  tokenEndpoint: string,
  now: number,
  previousRefresh?: string,
): TokenSet {
  if (typeof doc.access_token !== 'string' || typeof doc.token_type !== 'string') {
    throw new PgOpsError(
      'oauth-http',
      `The token endpoint ${inertText(tokenEndpoint)} answered without access_token or token_type`,
      'Check the identity provider.',
    );
  }
  if (doc.token_type.toLowerCase() !== 'bearer') {
    throw new PgOpsError(
      'oauth-http',
      `The token endpoint ${inertText(tokenEndpoint)} issued a "${inertText(doc.token_type, 40)}" token, not a bearer token`,
      'Check the identity provider.',
    );
  }
  const expiresIn = typeof doc.expires_in === 'number' ? doc.expires_in : undefined;
  return {
    accessToken: doc.access_token,
    refreshToken: typeof doc.refresh_token === 'string' ? doc.refresh_token : previousRefresh,
    expiresAt: expiresIn !== undefined ? now + expiresIn * 1000 : undefined,
    tokenEndpoint,
  };
}

/** Seconds, rounded up; at least 1 unless unsafe debug (libpq's rule); 5 when the provider says nothing. */
function pollInterval(raw: unknown, allowHttp: boolean | undefined): number {
  if (typeof raw !== 'number' || !Number.isFinite(raw)) return 5;
  return Math.max(allowHttp ? 0 : 1, Math.ceil(raw));
}

/**
 * The OAuth 2.0 Device Authorization Grant (RFC 8628) as libpq runs it: request a device code,
 * poll the token endpoint at `interval` (+5 s on every `slow_down`), show the prompt after the
 * first pending answer, stop on `access_denied`, `expired_token` or any other error, or on abort.
 */
export async function runDeviceFlow(meta: ProviderMetadata, opts: DeviceFlowOptions): Promise<TokenSet> {
  const wait = opts.wait ?? abortableDelay;
  const now = opts.now ?? Date.now;
  const authForm = withClientAuth(opts.scope ? { scope: opts.scope } : {}, opts);
  const authWhat = `device authorization endpoint of ${meta.issuer}`;
  const authRes = await httpExchange(
    { url: meta.deviceAuthorizationEndpoint, method: 'POST', ...authForm },
    opts,
    authWhat,
  );
  if (authRes.status !== 200) {
    const detail =
      authRes.status === 400 || authRes.status === 401
        ? tokenError(authRes, meta.deviceAuthorizationEndpoint, authWhat)
        : undefined;
    throw new PgOpsError(
      'oauth-device-authorization',
      `The ${authWhat} refused the request: ${detail ? `${detail.description} (${detail.error})` : `HTTP ${authRes.status}`}`,
      'Check oauth_client_id (and oauth_client_secret if the provider requires client authentication) and that the client may use the device flow.',
    );
  }
  const auth = jsonObject(authRes, authWhat, meta.deviceAuthorizationEndpoint);
  const deviceCode = auth.device_code;
  const userCode = auth.user_code;
  const verificationUri = auth.verification_uri ?? auth.verification_url;
  if (
    typeof deviceCode !== 'string' ||
    typeof userCode !== 'string' ||
    typeof verificationUri !== 'string' ||
    typeof auth.expires_in !== 'number'
  ) {
    throw new PgOpsError(
      'oauth-http',
      `The ${authWhat} answered without device_code, user_code, verification_uri or expires_in`,
      'Check the identity provider.',
    );
  }
  const prompt: DevicePrompt = {
    verificationUri,
    userCode,
    expiresInSeconds: auth.expires_in,
    verificationUriComplete:
      typeof auth.verification_uri_complete === 'string' ? auth.verification_uri_complete : undefined,
  };
  let interval = pollInterval(auth.interval, opts.allowHttp);
  // A guard of our own in case the provider never says expired_token: its own deadline plus one interval.
  const deadline = now() + auth.expires_in * 1000;
  const tokenWhat = `token endpoint of ${meta.issuer}`;
  let prompted = false;
  for (;;) {
    throwIfAborted(opts.signal);
    const res = await httpExchange(
      {
        url: meta.tokenEndpoint,
        method: 'POST',
        ...withClientAuth({ device_code: deviceCode, grant_type: deviceCodeGrant }, opts),
      },
      opts,
      tokenWhat,
    );
    if (res.status === 200)
      return tokenSetFrom(jsonObject(res, tokenWhat, meta.tokenEndpoint), meta.tokenEndpoint, now());
    if (res.status !== 400 && res.status !== 401) {
      throw new PgOpsError(
        'oauth-token',
        `The ${tokenWhat} answered with unexpected HTTP ${res.status}`,
        'Check the identity provider.',
      );
    }
    const { error, description } = tokenError(res, meta.tokenEndpoint, tokenWhat);
    if (error === 'slow_down') interval += 5;
    else if (error !== 'authorization_pending') throw deviceFlowFailure(error, description, meta.issuer);
    if (!prompted) {
      prompted = true;
      await opts.onPrompt(prompt);
    }
    if (now() > deadline + interval * 1000) {
      throw deviceFlowFailure('expired_token', 'the device code expired before the request was approved', meta.issuer);
    }
    await wait(interval * 1000, opts.signal);
  }
}

function deviceFlowFailure(error: string, description: string, issuer: string): PgOpsError {
  const text = `${description} (${error})`;
  if (error === 'access_denied') {
    return new PgOpsError(
      'oauth-access-denied',
      `The sign-in at ${issuer} was denied: ${text}`,
      "Connect again and approve the request in the browser, or ask your identity provider's administrator for access.",
    );
  }
  if (error === 'expired_token') {
    return new PgOpsError(
      'oauth-expired',
      `The device code from ${issuer} expired before the request was approved: ${text}`,
      'Connect again and enter the new code promptly.',
    );
  }
  return new PgOpsError(
    'oauth-token',
    `Failed to obtain an access token from ${issuer}: ${text}`,
    'Check the OAuth client configuration at the identity provider.',
  );
}

/** Uses the refresh token (RFC 6749 §6); the provider may rotate it. Throws PgOpsError 'oauth-refresh' when refused. */
export async function refreshTokens(
  tokens: TokenSet,
  issuer: string,
  opts: OAuthClientIdentity & HttpOptions & { scope?: string; now?: () => number },
): Promise<TokenSet> {
  if (!tokens.refreshToken)
    throw new PgOpsError('oauth-refresh', `No refresh token is stored for ${issuer}`, 'Sign in again.');
  const what = `token endpoint of ${issuer}`;
  const form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: tokens.refreshToken };
  if (opts.scope) form.scope = opts.scope;
  const res = await httpExchange(
    { url: tokens.tokenEndpoint, method: 'POST', ...withClientAuth(form, opts) },
    opts,
    what,
  );
  if (res.status !== 200) {
    const detail = res.status === 400 || res.status === 401 ? tokenError(res, tokens.tokenEndpoint, what) : undefined;
    throw new PgOpsError(
      'oauth-refresh',
      `The ${what} refused the refresh token: ${detail ? `${detail.description} (${detail.error})` : `HTTP ${res.status}`}`,
      'Sign in again.',
    );
  }
  return tokenSetFrom(
    jsonObject(res, what, tokens.tokenEndpoint),
    tokens.tokenEndpoint,
    (opts.now ?? Date.now)(),
    tokens.refreshToken,
  );
}

/** libpq's wording of the prompt, shared by the CLI and the extension; the provider's text is shown inertly. */
export function devicePromptText(p: DevicePrompt): string {
  return `Visit ${inertText(p.verificationUri)} and enter the code: ${inertText(p.userCode, 100)}`;
}
