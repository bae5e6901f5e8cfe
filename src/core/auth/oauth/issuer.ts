import { PgOpsError } from '../../errors';
import { inertText } from './untrusted';

const wellKnownSuffixes = ['openid-configuration', 'oauth-authorization-server'];

/**
 * The issuer identifier a discovery URI stands for, by RFC 8414's rules as libpq applies them:
 * OIDC style `https://h/t/.well-known/openid-configuration` → `https://h/t`, IETF style
 * `https://h/.well-known/oauth-authorization-server/t` → `https://h/t`. The scheme must be https
 * unless `allowHttp` (PGOAUTHDEBUG=UNSAFE). Returns undefined when the URI has no well-known part.
 */
export function issuerFromWellKnownUri(uri: string, allowHttp: boolean): string | undefined {
  const scheme = /^(https?):\/\//i.exec(uri);
  if (!scheme || (scheme[1].toLowerCase() === 'http' && !allowHttp)) {
    throw new PgOpsError(
      'oauth-https-required',
      `The OAuth discovery URI "${inertText(uri)}" does not use HTTPS`,
      'The issuer must use https://. For local testing only, set PGOAUTHDEBUG=UNSAFE to allow http://.',
    );
  }
  if (/[?#]/.test(uri)) {
    throw new PgOpsError(
      'oauth-discovery-uri',
      `The OAuth discovery URI "${inertText(uri)}" must not contain a query or fragment`,
      "Fix the issuer in the server's pg_hba.conf oauth line.",
    );
  }
  const authorityEnd = uri.indexOf('/', scheme[0].length);
  if (authorityEnd < 0) return undefined;
  const origin = uri.slice(0, authorityEnd);
  const segments = uri.slice(authorityEnd + 1).split('/');
  const at = segments.indexOf('.well-known');
  if (at < 0) return undefined;
  const suffix = segments[at + 1];
  if (!wellKnownSuffixes.includes(suffix)) {
    throw new PgOpsError(
      'oauth-discovery-uri',
      `The OAuth discovery URI "${inertText(uri)}" uses an invalid format`,
      'It must end in /.well-known/openid-configuration or contain /.well-known/oauth-authorization-server.',
    );
  }
  if (at + 2 === segments.length) {
    const tenant = segments.slice(0, at).join('/');
    return tenant ? `${origin}/${tenant}` : origin;
  }
  if (at === 0) return `${origin}/${segments.slice(2).join('/')}`;
  throw new PgOpsError(
    'oauth-discovery-uri',
    `The OAuth discovery URI "${inertText(uri)}" uses an invalid format`,
    'It must end in /.well-known/openid-configuration or contain /.well-known/oauth-authorization-server.',
  );
}

/**
 * The configured `oauth_issuer` as an issuer identifier and the discovery URI to expect:
 * it may be the issuer itself or the discovery URI (then the server must send exactly that URI).
 */
export function configuredIssuer(oauthIssuer: string, allowHttp: boolean): { issuer: string; discoveryUri?: string } {
  const fromUri = issuerFromWellKnownUri(oauthIssuer, allowHttp);
  return fromUri === undefined ? { issuer: oauthIssuer } : { issuer: fromUri, discoveryUri: oauthIssuer };
}

/**
 * The mix-up defence (RFC 9207) libpq applies before any token is requested or sent: the issuer
 * the server names must be byte-for-byte the one the user configured. Returns the issuer.
 */
export function checkServerIssuer(discoveryUri: string, oauthIssuer: string, allowHttp: boolean): string {
  const expected = configuredIssuer(oauthIssuer, allowHttp);
  const offered = issuerFromWellKnownUri(discoveryUri, allowHttp);
  const matches =
    expected.discoveryUri !== undefined ? discoveryUri === expected.discoveryUri : offered === expected.issuer;
  if (offered === undefined || !matches) {
    throw new PgOpsError(
      'oauth-issuer-mismatch',
      `The server's discovery document at ${inertText(discoveryUri)} (issuer "${inertText(offered ?? '?')}") ` +
        `is incompatible with oauth_issuer (${oauthIssuer}); no token was requested or sent`,
      "Set oauth_issuer to exactly the issuer in the server's pg_hba.conf (same scheme, host, " +
        'port and path, no trailing slash) — or, if you did not expect this issuer, do not connect ' +
        'to this server.',
    );
  }
  return expected.issuer;
}

/** The discovery URI for an issuer that is not itself a well-known URI (OIDC style). */
export function discoveryUriOf(issuer: string): string {
  return `${issuer}/.well-known/openid-configuration`;
}
