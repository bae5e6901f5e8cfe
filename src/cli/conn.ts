import * as fs from 'node:fs';
import type { OAuthParams } from '../core/auth/oauth/connect';
import { connectWithOAuth, oauthHttpFromEnv } from '../core/auth/oauth/connect';
import { devicePromptText } from '../core/auth/oauth/deviceFlow';
import { MemoryTokenCache } from '../core/auth/oauth/tokenCache';
import { verificationPage } from '../core/auth/oauth/untrusted';
import { hbaRulesFromFile } from '../core/conn/hbaAdvice';
import type { OAuthOpener } from '../core/conn/oauthSession';
import type { OpenedSession } from '../core/conn/open';
import { openSession } from '../core/conn/open';
import type { ResolvedConnection } from '../core/conn/resolve';
import type { CliConnInput } from '../core/conn/resolveTarget';
import { namesConnection, resolveCliConnection, whereEnvVars } from '../core/conn/resolveTarget';
import type { SessionSafety } from '../core/conn/session';
import { defaultSafety } from '../core/conn/session';
import { CancelledError, PgOpsError } from '../core/errors';
import type { Logger } from '../core/log';
import type { CliIo } from './command';
import { UsageError } from './command';

/** The flags every command with `--conn` may offer next to it, for parseFlags: psql's -h -p -U -d among them. */
export const connFlags = {
  conn: { type: 'string' },
  host: { type: 'string', short: 'h' },
  port: { type: 'string', short: 'p' },
  username: { type: 'string', short: 'U' },
  dbname: { type: 'string', short: 'd' },
  'hba-file': { type: 'string' },
} as const;

/** Their usage lines. */
export const connFlagsUsage =
  '  --conn C        URI, conninfo or service=NAME (completed from PG* variables, service files and pgpass);\n' +
  '                 optional when PGHOST, PGDATABASE, PGSERVICE (or another PG* variable) says where, like psql\n' +
  "  -h, --host H  -p, --port P  -U, --username U  -d, --dbname D   psql's flags, with psql's meaning; a keyword\n" +
  '                 written in --conn (or in a conninfo given to -d) wins over them, as in psql\n' +
  "  --hba-file F    a local copy of the server's pg_hba.conf: a refused connection names its matching line\n" +
  '  OAuth (PostgreSQL 18): with oauth_issuer and oauth_client_id in C, sign in with the device flow like psql\n' +
  '                 (the code is shown on stderr; Ctrl-C stops waiting). The token is kept in memory for this\n' +
  '                 process only: the CLI stores no token or secret on disk. PGOAUTHDEBUG=UNSAFE, PGOAUTHCAFILE\n' +
  '                 and NODE_EXTRA_CA_CERTS decide which issuer certificates are trusted. The token goes only over\n' +
  '                 TLS (sslmode=require or verify-full) or a Unix socket; plain TCP needs PGOAUTHDEBUG=UNSAFE.';

/** The connection flags' parsed values. */
export type ConnFlagValues = CliConnInput & { 'hba-file'?: string };

/**
 * The connection the flags name, resolved like psql; bad usage when nothing (flags or PG* variables) names one,
 * rather than guessing the default socket.
 */
export function resolveCliFlags(values: ConnFlagValues, env: NodeJS.ProcessEnv): ResolvedConnection {
  if (!namesConnection(values, env))
    throw new UsageError(
      `no connection given: use --conn (URI, conninfo or service=NAME), psql's -h/-p/-U/-d, ` +
        `or set ${whereEnvVars.join(', ')}`,
    );
  return resolveCliConnection(values, env);
}

/** openCliSession from a command's parsed `connFlags` values. */
export function openCliSessionFrom(
  values: ConnFlagValues,
  io: CliIo,
  safety: Partial<SessionSafety> = {},
): Promise<OpenedSession> {
  return openCliSession(values, io, safety, { hbaFile: values['hba-file'] });
}

export interface CliSessionOptions {
  /** `--hba-file`: explain a refused connection from this copy of pg_hba.conf. */
  hbaFile?: string;
  /** What the command insists on after libpq's resolution (the drill's target_session_attrs=read-write). */
  adjust?: (r: ResolvedConnection) => ResolvedConnection;
}

/** Tokens live as long as the process, like libpq's: the CLI never writes one to disk. */
const tokens = new MemoryTokenCache();

/**
 * The connection of every CLI command: `--conn` (a URI, a conninfo string or `service=NAME`) and
 * psql's flags, completed from the PG* environment, service files and pgpass the way libpq does
 * (multi-host, TLS modes and target_session_attrs included). Opens a diagnostic session on it
 * through core's openSession; libpq's warnings go to stderr. A conninfo with
 * oauth_issuer/oauth_client_id signs in with the OAuth device flow, as psql does.
 */
export async function openCliSession(
  conn: string | ConnFlagValues,
  io: CliIo,
  safety: Partial<SessionSafety> = {},
  opts: CliSessionOptions = {},
): Promise<OpenedSession> {
  const given = resolveCliFlags(typeof conn === 'string' ? { conn } : conn, io.env);
  const resolved = opts.adjust ? opts.adjust(given) : given;
  const logger: Logger = {
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (m: string) => io.err(`WARNING: ${m}`),
    error: (m: string) => io.err(m),
  };
  const rules = opts.hbaFile
    ? hbaRulesFromFile(opts.hbaFile, { homeDir: resolved.context.homeDir, cwd: io.cwd })
    : undefined;
  return await openSession(resolved, {
    safety: { ...defaultSafety, applicationName: 'pgops (cli)', ...safety },
    logger,
    hbaRules: rules ? () => Promise.resolve(rules) : undefined,
    oauth: (params) => deviceFlowOpener(params, io),
  });
}

/** The device flow like libpq's: the prompt on stderr, Ctrl-C stops the polling. */
function deviceFlowOpener(params: OAuthParams, io: CliIo): OAuthOpener {
  const http = oauthHttpFromEnv(io.env, readCaFile);
  return async (config) => {
    const interrupt = new AbortController();
    const onInterrupt = (): void => interrupt.abort();
    process.once('SIGINT', onInterrupt);
    try {
      return await connectWithOAuth(config, {
        params,
        cache: tokens,
        ...http,
        signal: interrupt.signal,
        onPrompt: (p) => {
          io.err(devicePromptText(p));
          // The CLI opens nothing; it still says when the page is not one pgops would open.
          const page = verificationPage(p, !!http.allowHttp);
          if ('refused' in page) io.err(`WARNING: ${page.refused}`);
        },
      });
    } catch (err) {
      if (CancelledError.is(err)) {
        throw new PgOpsError(
          'oauth-cancelled',
          `OAuth sign-in at ${params.issuer} interrupted while waiting for the approval`,
          'Run the command again and approve the code in the browser.',
        );
      }
      throw err;
    } finally {
      process.removeListener('SIGINT', onInterrupt);
    }
  };
}

function readCaFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new PgOpsError(
      'oauth-ca',
      `Cannot read PGOAUTHCAFILE "${file}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      "Point PGOAUTHCAFILE at a PEM file with the issuer's CA certificate, or unset it.",
    );
  }
}
