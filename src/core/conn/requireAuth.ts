import { PgOpsError } from '../errors';

/** The authentication a server asked for, in require_auth's words. */
export type RequestedAuth = 'password' | 'md5' | 'scram-sha-256' | 'none';

const knownMethods = ['password', 'md5', 'gss', 'sspi', 'scram-sha-256', 'oauth', 'none'];

/**
 * libpq's require_auth: a list of allowed methods, or of forbidden ones (each prefixed with "!").
 * Checked when the server asks for a password — before any password is sent — and after a
 * connection that asked for none. Returns libpq's complaint, or undefined when allowed.
 */
export function requireAuthViolation(requireAuth: string | undefined, requested: RequestedAuth): string | undefined {
  if (!requireAuth) return undefined;
  const items = requireAuth
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const negated = items.filter((i) => i.startsWith('!'));
  if (negated.length && negated.length !== items.length) {
    throw new PgOpsError(
      'conninfo',
      `negative require_auth method cannot be mixed with non-negative methods: "${requireAuth}"`,
      'Either list the allowed methods or the forbidden ones (each with "!").',
    );
  }
  for (const i of items) {
    const m = i.replace(/^!/, '');
    if (!knownMethods.includes(m))
      throw new PgOpsError(
        'conninfo',
        `invalid require_auth value: "${m}"`,
        `Use ${knownMethods.join(', ')} (or "!" before each to forbid).`,
      );
  }
  const allowed = negated.length ? !items.includes(`!${requested}`) : items.includes(requested);
  if (allowed) return undefined;
  const what =
    requested === 'none'
      ? 'server did not complete authentication'
      : requested === 'password'
        ? 'server requested a cleartext password'
        : `server requested ${requested} authentication`;
  return `authentication method requirement "${requireAuth}" failed: ${what}`;
}

export function channelBindingViolation(
  channelBinding: string | undefined,
  offered: string[] | undefined,
  tls: boolean,
): string | undefined {
  if (channelBinding !== 'require') return undefined;
  if (!tls) return 'channel binding required but not supported by the connection (it is not encrypted)';
  if (!offered) return 'channel binding required, but server authenticated client without channel binding';
  if (!offered.includes('SCRAM-SHA-256-PLUS'))
    return 'channel binding is required, but server did not offer an authentication method that supports channel binding';
  return undefined;
}
