import type { ConnectionProfile } from './profile';
import { resolveProfile } from './profile';
import type { ResolveContext, ResolvedConnection } from './resolve';
import { defaultResolveContext } from './resolve';

/**
 * Where a stored secret may be sent: the user and the endpoints of the profile when the secret was saved.
 * A profile's id comes from settings, which a workspace can write, so the id only finds a secret; the
 * secret is handed out only while the profile still points at the same user, hosts and ports.
 */
export interface SecretTarget {
  user: string;
  /** Canonical endpoints, unique and sorted: `host:port`, or `host[hostaddr]:port` when libpq connects to hostaddr. */
  endpoints: string[];
}

/** A stored secret: its internal id (made by pgops, never read from settings) and where it may go. */
export interface SecretBinding extends SecretTarget {
  secretId: string;
}

/** Bindings by profile id, as pgops keeps them outside settings. */
export type SecretBindings = Record<string, SecretBinding[]>;

/** The target of a resolved connection. Host names compare without case; socket directories as written. */
export function secretTargetOf(r: ResolvedConnection): SecretTarget {
  const endpoints = r.hosts.map(
    (h) => `${h.socket ? h.host : h.host.toLowerCase()}${h.hostaddr ? `[${h.hostaddr}]` : ''}:${h.port}`,
  );
  return { user: r.user, endpoints: [...new Set(endpoints)].sort() };
}

/** Where a profile's secrets may go, resolved as libpq would (service file, PG* variables); throws when the profile does not resolve. */
export function profileSecretTarget(
  p: ConnectionProfile,
  ctx: ResolveContext = defaultResolveContext(process.env),
): SecretTarget {
  return secretTargetOf(resolveProfile(p, ctx.env, ctx));
}

export function sameTarget(a: SecretTarget, b: SecretTarget): boolean {
  return (
    a.user === b.user && a.endpoints.length === b.endpoints.length && a.endpoints.every((e, i) => e === b.endpoints[i])
  );
}

/** `user@host:port,host2:port` — for logs and questions; holds no secret. */
export function describeTarget(t: SecretTarget): string {
  return `${t.user}@${t.endpoints.join(',')}`;
}

/** The binding of a profile that may serve `target`: exactly the same user and endpoints, nothing looser. */
export function findBinding(all: SecretBindings, profileId: string, target: SecretTarget): SecretBinding | undefined {
  return (all[profileId] ?? []).find((b) => sameTarget(b, target));
}

/** The bindings with `binding` added to the profile's (a binding for the same target is replaced). */
export function withBinding(all: SecretBindings, profileId: string, binding: SecretBinding): SecretBindings {
  return { ...all, [profileId]: [...(all[profileId] ?? []).filter((b) => !sameTarget(b, binding)), binding] };
}

/** The bindings without the one of `secretId`; a profile left with none is dropped. */
export function withoutBinding(all: SecretBindings, profileId: string, secretId: string): SecretBindings {
  const rest = (all[profileId] ?? []).filter((b) => b.secretId !== secretId);
  const next = { ...all };
  if (rest.length) next[profileId] = rest;
  else delete next[profileId];
  return next;
}
