/**
 * Authentication options (`name=value`) and the per-method checks of hba.c's parse_hba_auth_opt and the
 * end of parse_hba_line, by server version. Each function returns the server's error text, or undefined.
 */
import type { HbaConnType, HbaMethod } from './types';

interface OptionContext {
  type: HbaConnType;
  method: HbaMethod;
  major: number;
}

/** Options whose values are secrets: never shown in output, logs or errors. */
export const secretOptions = new Set(['ldapbindpasswd', 'radiussecrets']);

const onlyFor =
  (name: string, methods: HbaMethod[], label: string) =>
  (ctx: OptionContext): string | undefined =>
    methods.includes(ctx.method)
      ? undefined
      : `authentication option "${name}" is only valid for authentication methods ${label}`;

type Check = (ctx: OptionContext, value: string) => string | undefined;

function clientcert(ctx: OptionContext, value: string): string | undefined {
  if (ctx.type !== 'hostssl') return 'clientcert can only be configured for "hostssl" rows';
  if (ctx.major >= 14) {
    if (value === 'verify-full') return undefined;
    if (value === 'verify-ca')
      return ctx.method === 'cert'
        ? 'clientcert only accepts "verify-full" when using "cert" authentication'
        : undefined;
    return `invalid value for clientcert: "${value}"`;
  }
  if (['1', 'verify-ca', 'verify-full'].includes(value)) return undefined;
  if (['0', 'no-verify'].includes(value))
    return ctx.method === 'cert'
      ? 'clientcert cannot be set to "no-verify" when using "cert" authentication'
      : undefined;
  return `invalid value for clientcert: "${value}"`;
}

function clientname(ctx: OptionContext, value: string): string | undefined {
  if (ctx.type !== 'hostssl') return 'clientname can only be configured for "hostssl" rows';
  return value === 'CN' || value === 'DN' ? undefined : `invalid value for clientname: "${value}"`;
}

const ldap = (name: string): Check => onlyFor(name, ['ldap'], 'ldap');
const radius = (name: string): Check => onlyFor(name, ['radius'], 'radius');
const oauth = (name: string): Check => onlyFor(name, ['oauth'], 'oauth');

/** Every option the server knows, with the first major version that has it. */
const optionTable: Record<string, { since: number; check: Check }> = {
  map: {
    since: 13,
    check: (ctx) => {
      const methods: HbaMethod[] = [
        'ident',
        'peer',
        'gss',
        'sspi',
        'cert',
        ...(ctx.major >= 18 ? ['oauth' as const] : []),
      ];
      return onlyFor(
        'map',
        methods,
        ctx.major >= 18 ? 'ident, peer, gssapi, sspi, cert, and oauth' : 'ident, peer, gssapi, sspi, and cert',
      )(ctx);
    },
  },
  clientcert: { since: 13, check: clientcert },
  clientname: { since: 14, check: clientname },
  pamservice: { since: 13, check: onlyFor('pamservice', ['pam'], 'pam') },
  pam_use_hostname: { since: 13, check: onlyFor('pam_use_hostname', ['pam'], 'pam') },
  ldapurl: {
    since: 13,
    check: (ctx, value) =>
      ldap('ldapurl')(ctx, value) ?? (/^ldaps?:\/\//i.test(value) ? undefined : `could not parse LDAP URL "${value}"`),
  },
  ldaptls: { since: 13, check: ldap('ldaptls') },
  ldapscheme: { since: 13, check: ldap('ldapscheme') },
  ldapserver: { since: 13, check: ldap('ldapserver') },
  ldapport: {
    since: 13,
    check: (ctx, value) =>
      ldap('ldapport')(ctx, value) ?? (parseInt(value, 10) ? undefined : `invalid LDAP port number: "${value}"`),
  },
  ldapbinddn: { since: 13, check: ldap('ldapbinddn') },
  ldapbindpasswd: { since: 13, check: ldap('ldapbindpasswd') },
  ldapsearchattribute: { since: 13, check: ldap('ldapsearchattribute') },
  ldapsearchfilter: { since: 13, check: ldap('ldapsearchfilter') },
  ldapbasedn: { since: 13, check: ldap('ldapbasedn') },
  ldapprefix: { since: 13, check: ldap('ldapprefix') },
  ldapsuffix: { since: 13, check: ldap('ldapsuffix') },
  krb_realm: { since: 13, check: onlyFor('krb_realm', ['gss', 'sspi'], 'gssapi and sspi') },
  include_realm: { since: 13, check: onlyFor('include_realm', ['gss', 'sspi'], 'gssapi and sspi') },
  compat_realm: { since: 13, check: onlyFor('compat_realm', ['sspi'], 'sspi') },
  upn_username: { since: 13, check: onlyFor('upn_username', ['sspi'], 'sspi') },
  radiusservers: { since: 13, check: radius('radiusservers') },
  radiusports: {
    since: 13,
    check: (ctx, value) =>
      radius('radiusports')(ctx, value) ??
      (value.split(',').every((p) => parseInt(p.trim(), 10)) ? undefined : `invalid RADIUS port number: "${value}"`),
  },
  radiussecrets: { since: 13, check: radius('radiussecrets') },
  radiusidentifiers: { since: 13, check: radius('radiusidentifiers') },
  issuer: { since: 18, check: oauth('issuer') },
  scope: { since: 18, check: oauth('scope') },
  validator: { since: 18, check: oauth('validator') },
  delegate_ident_mapping: { since: 18, check: oauth('delegate_ident_mapping') },
};

export function checkOption(name: string, value: string, ctx: OptionContext): string | undefined {
  const spec = optionTable[name];
  if (!spec || ctx.major < spec.since) return `unrecognized authentication option name: "${name}"`;
  return spec.check(ctx, value);
}

const listLength = (v: string | undefined): number => (v === undefined || v.trim() === '' ? 0 : v.split(',').length);

/** The checks after all options are read: mandatory and conflicting options per method. */
export function checkMethodOptions(
  method: HbaMethod,
  options: Record<string, string>,
  oauthValidators?: string[],
): { error?: string; hint?: string } {
  const has = (k: string): boolean => options[k] !== undefined;
  if (method === 'ldap') {
    const url = options.ldapurl;
    const baseFromUrl = url !== undefined && /^ldaps?:\/\/[^/]*\/[^?]/i.test(url);
    if (has('ldapprefix') || has('ldapsuffix')) {
      if (
        ['ldapbasedn', 'ldapbinddn', 'ldapbindpasswd', 'ldapsearchattribute', 'ldapsearchfilter'].some(has) ||
        baseFromUrl
      ) {
        return { error: 'cannot mix options for simple bind and search+bind modes' };
      }
    } else if (!has('ldapbasedn') && !baseFromUrl) {
      return {
        error: 'authentication method "ldap" requires argument "ldapbasedn", "ldapprefix", or "ldapsuffix" to be set',
      };
    }
    if (has('ldapsearchattribute') && has('ldapsearchfilter'))
      return { error: 'cannot use ldapsearchattribute together with ldapsearchfilter' };
  }
  if (method === 'radius') {
    if (!has('radiusservers'))
      return { error: 'authentication method "radius" requires argument "radiusservers" to be set' };
    if (!has('radiussecrets'))
      return { error: 'authentication method "radius" requires argument "radiussecrets" to be set' };
    const servers = listLength(options.radiusservers);
    for (const [key, label] of [
      ['radiussecrets', 'secrets'],
      ['radiusports', 'ports'],
      ['radiusidentifiers', 'identifiers'],
    ] as const) {
      const n = listLength(options[key]);
      if (key !== 'radiussecrets' && n === 0) continue;
      if (n !== 1 && n !== servers)
        return {
          error: `the number of RADIUS ${label} (${n}) must be 1 or the same as the number of RADIUS servers (${servers})`,
        };
    }
  }
  if (method === 'oauth') {
    if (!has('issuer'))
      return {
        error: 'authentication method "oauth" requires argument "issuer" to be set',
        hint: 'Add issuer=https://… (the OpenID issuer or its discovery URL).',
      };
    if (!has('scope'))
      return {
        error: 'authentication method "oauth" requires argument "scope" to be set',
        hint: 'Add scope="openid …" (quote a list with spaces).',
      };
    if (oauthValidators) {
      const validator = options.validator;
      if (validator !== undefined && !oauthValidators.includes(validator)) {
        return {
          error: `validator "${validator}" is not permitted by oauth_validator_libraries`,
          hint: `Use one of: ${oauthValidators.join(', ') || '(none configured)'}.`,
        };
      }
      if (validator === undefined && oauthValidators.length === 0) {
        return {
          error: 'oauth_validator_libraries must be set for authentication method oauth',
          hint: 'Set oauth_validator_libraries in postgresql.conf to the validator module.',
        };
      }
      if (validator === undefined && oauthValidators.length > 1) {
        return {
          error:
            'authentication method "oauth" requires argument "validator" to be set when oauth_validator_libraries contains multiple options',
          hint: `Add validator=NAME (one of ${oauthValidators.join(', ')}).`,
        };
      }
    }
    if (options.delegate_ident_mapping === '1' && has('map'))
      return { error: '"map" and "delegate_ident_mapping" cannot be combined' };
  }
  return {};
}

/** Options for display: secret values replaced, so they never reach output or logs. */
export function displayOptions(options: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [k, secretOptions.has(k) ? '********' : v]));
}

/** A record's text with secret option values replaced, for messages that quote the line. */
export function maskSecrets(rawLine: string): string {
  return rawLine.replace(/\b(ldapbindpasswd|radiussecrets)=("(?:[^"]|"")*"|\S+)/g, '$1=********');
}
