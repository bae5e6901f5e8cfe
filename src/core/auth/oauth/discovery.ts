import { PgOpsError } from '../../errors';
import type { HttpOptions } from './http';
import { checkEndpointScheme, httpExchange, jsonObject } from './http';
import { inertText } from './untrusted';

/** The parts of the provider's metadata (RFC 8414 / OpenID Discovery) the device flow needs. */
export interface ProviderMetadata {
  issuer: string;
  tokenEndpoint: string;
  deviceAuthorizationEndpoint: string;
}

/**
 * Fetches the discovery document the server named and checks it like libpq: 200, JSON, an
 * `issuer` equal to the expected one byte for byte, and https endpoints (unless unsafe debug).
 */
export async function fetchProviderMetadata(
  discoveryUri: string,
  expectedIssuer: string,
  http: HttpOptions,
): Promise<ProviderMetadata> {
  const what = `OAuth discovery document of issuer ${expectedIssuer}`;
  const res = await httpExchange({ url: discoveryUri, method: 'GET' }, http, what);
  if (res.status !== 200) {
    throw new PgOpsError(
      'oauth-discovery',
      `The ${what} at ${inertText(discoveryUri)} answered HTTP ${res.status}`,
      "Check that the issuer in pg_hba.conf is the identity provider's issuer URL.",
    );
  }
  const doc = jsonObject(res, what, discoveryUri);
  const str = (k: string): string | undefined => (typeof doc[k] === 'string' ? doc[k] : undefined);
  const issuer = str('issuer');
  const tokenEndpoint = str('token_endpoint');
  if (!issuer || !tokenEndpoint) {
    throw new PgOpsError(
      'oauth-discovery',
      `The ${what} at ${inertText(discoveryUri)} lacks "issuer" or "token_endpoint"`,
      'Check the identity provider.',
    );
  }
  if (issuer !== expectedIssuer) {
    throw new PgOpsError(
      'oauth-issuer-mismatch',
      `The issuer identifier (${inertText(issuer)}) in ${inertText(discoveryUri)} does not match oauth_issuer (${expectedIssuer}); no token was requested`,
      "Set oauth_issuer to exactly the provider's issuer identifier.",
    );
  }
  const device = str('device_authorization_endpoint');
  if (!device) {
    throw new PgOpsError(
      'oauth-discovery',
      `Issuer "${issuer}" does not provide a device authorization endpoint`,
      'Enable the OAuth 2.0 Device Authorization Grant (RFC 8628) for this client at the identity provider.',
    );
  }
  checkEndpointScheme(tokenEndpoint, 'token endpoint', http.allowHttp);
  checkEndpointScheme(device, 'device authorization endpoint', http.allowHttp);
  return { issuer, tokenEndpoint, deviceAuthorizationEndpoint: device };
}
