import * as fs from 'node:fs';
import type { Client } from 'pg';
import type { OAuthParams } from '../core/auth/oauth/connect';
import { connectWithOAuth, oauthHttpFromEnv, oauthParamsFromKeywords } from '../core/auth/oauth/connect';
import { devicePromptText } from '../core/auth/oauth/deviceFlow';
import { MemoryTokenCache } from '../core/auth/oauth/tokenCache';
import { verificationPage } from '../core/auth/oauth/untrusted';
import type { ConnectOptions, SessionInfo } from '../core/conn/connect';
import { connectResolved } from '../core/conn/connect';
import { hbaAdvisor, hbaRulesFromFile } from '../core/conn/hbaAdvice';
import { connectResolvedOAuth } from '../core/conn/oauthSession';
import type { ResolvedConnection } from '../core/conn/resolve';
import type { ConnectionTarget, SessionSafety } from '../core/conn/session';
import { defaultSafety } from '../core/conn/session';
import { resolveCliConnection } from '../core/conn/resolveTarget';
import { CancelledError, PgOpsError } from '../core/errors';
import type { Logger } from '../core/log';
import type { CliIo } from './command';
import { requireFlag } from './command';

/** The flags every command with `--conn` may offer next to it, for parseFlags. */
export const connFlags = { conn: { type: 'string' }, 'hba-file': { type: 'string' } } as const;

/** Their usage lines. */
export const connFlagsUsage =
  '  --conn C        URI, conninfo or service=NAME (completed from PG* variables, service files and pgpass)\n' +
  "  --hba-file F    a local copy of the server's pg_hba.conf: a refused connection names its matching line\n" +
  '  OAuth (PostgreSQL 18): with oauth_issuer and oauth_client_id in C, sign in with the device flow like psql\n' +
  '                 (the code is shown on stderr; Ctrl-C stops waiting). The token is kept in memory for this\n' +
  '                 process only: the CLI stores no token or secret on disk. PGOAUTHDEBUG=UNSAFE, PGOAUTHCAFILE\n' +
  '                 and NODE_EXTRA_CA_CERTS decide which issuer certificates are trusted. The token goes only over\n' +
  '                 TLS (sslmode=require or verify-full) or a Unix socket; plain TCP needs PGOAUTHDEBUG=UNSAFE.';

/** openCliSession from a command's parsed `connFlags` values (--conn required, --hba-file optional). */
export function openCliSessionFrom(
  values: { conn?: string; 'hba-file'?: string },
  io: CliIo,
  safety: Partial<SessionSafety> = {},
): ReturnType<typeof openCliSession> {
  return openCliSession(requireFlag(values.conn, 'conn'), io, safety, { hbaFile: values['hba-file'] });
}

export interface CliSessionOptions {
  /** `--hba-file`: explain a refused connection from this copy of pg_hba.conf. */
  hbaFile?: string;
}

/** Tokens live as long as the process, like libpq's: the CLI never writes one to disk. */
const tokens = new MemoryTokenCache();

/**
 * The `--conn` option of every CLI command: a URI, a conninfo string or `service=NAME`, completed
 * from the PG* environment, service files and pgpass the way libpq does (multi-host, TLS modes and
 * target_session_attrs included). Opens a diagnostic session on it; libpq's warnings go to stderr.
 * A conninfo with oauth_issuer/oauth_client_id signs in with the OAuth device flow, as psql does.
 */
export async function openCliSession(
  conn: string,
  io: CliIo,
  safety: Partial<SessionSafety> = {},
  opts: CliSessionOptions = {},
): Promise<{ client: Client; target: ConnectionTarget; info: SessionInfo }> {
  const resolved = resolveCliConnection(conn, io.env);
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
  const explainAuthFailure = rules
    ? hbaAdvisor(() => Promise.resolve(rules), resolved.user, resolved.dbname)
    : undefined;
  const fullSafety = { ...defaultSafety, applicationName: 'pgops (cli)', ...safety };
  const oauth = oauthParamsFromKeywords(resolved.params);
  if (oauth) return await openOAuth(resolved, oauth, io, fullSafety, explainAuthFailure);
  const { client, target, info } = await connectResolved(resolved, { safety: fullSafety, logger, explainAuthFailure });
  return { client, target, info };
}

/** The device flow like libpq's: the prompt on stderr, Ctrl-C stops the polling. */
async function openOAuth(
  r: ResolvedConnection,
  params: OAuthParams,
  io: CliIo,
  safety: SessionSafety,
  explainAuthFailure: ConnectOptions['explainAuthFailure'],
) {
  const http = oauthHttpFromEnv(io.env, readCaFile);
  const interrupt = new AbortController();
  const onInterrupt = (): void => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  try {
    return await connectResolvedOAuth(
      r,
      (config) =>
        connectWithOAuth(config, {
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
        }),
      { safety, explainAuthFailure },
    );
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
