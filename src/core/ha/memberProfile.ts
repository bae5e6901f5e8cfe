import { formatKeywordValue, parseConnString } from '../conn/conninfo';
import type { ConnectionProfile } from '../conn/profile';
import type { ClusterMember } from './cluster';

/**
 * A profile for one member of a profile's cluster: the same keywords (user, database, TLS, options), with that
 * member's host and port as the only host, and no target_session_attrs or load balancing, which would move the
 * session elsewhere. Its password is not carried over: Secret Storage binds a password to the endpoint it was saved for.
 */
export function memberProfile(profile: ConnectionProfile, member: Pick<ClusterMember, 'name' | 'host' | 'port'>) {
  const params = profile.conninfo ? parseConnString(profile.conninfo) : {};
  for (const k of ['host', 'hostaddr', 'port', 'target_session_attrs', 'load_balance_hosts']) delete params[k];
  if (profile.user && !params.user) params.user = profile.user;
  if (profile.dbname && !params.dbname) params.dbname = profile.dbname;
  params.host = member.host;
  params.port = String(member.port);
  const next: Omit<ConnectionProfile, 'id'> = {
    name: `${profile.name} · ${member.name}`,
    conninfo: formatKeywordValue(params),
    production: profile.production,
    passwordCommand: profile.passwordCommand,
    passwordCommandTtl: profile.passwordCommandTtl,
    hbaFile: profile.hbaFile,
  };
  return next;
}
