import type { SessionInfo } from './connect';
import type { ConnParams } from './params';
import { formatServerVersion } from './serverVersion';

/** What the TLS check of the server certificate covered. */
const certificateCheck: Record<SessionInfo['tls']['verified'], string> = {
  full: 'verified with host name (verify-full)',
  ca: 'chain verified, host name not checked (verify-ca)',
  none: 'not verified',
};

/** The lines Test Connection shows: where, as whom, how authenticated, how encrypted. No secrets. */
export function describeSessionInfo(info: SessionInfo & { serverVersion?: string; currentUser?: string }): string[] {
  const tls = info.tls.inUse
    ? `${info.tls.protocol ?? 'TLS'}${info.tls.cipher ? ` (${info.tls.cipher})` : ''}, server certificate ` +
      certificateCheck[info.tls.verified]
    : info.host.socket
      ? 'none (Unix socket)'
      : 'none (plain TCP)';
  return [
    `Server: PostgreSQL ${info.serverVersion ?? formatServerVersion(info.serverVersionNum)}`,
    `Connected to: ${info.description}`,
    ...(info.currentUser ? [`Session user: ${info.currentUser}`] : []),
    `Authentication: ${info.authMethod}${info.passwordSource ? ` (password from ${info.passwordSource})` : ''}`,
    `Encryption: ${tls}`,
  ];
}

/** A profile name to suggest for pasted input: the service, else user@host/db. */
export function suggestProfileName(p: ConnParams): string {
  if (p.service) return p.service;
  const host = (p.host ?? 'local socket').split(',')[0];
  return `${p.user ? `${p.user}@` : ''}${host}${p.dbname ? `/${p.dbname}` : ''}`;
}
