import type { Client } from 'pg';
import type { SessionInfo } from '../core/conn/connect';
import { connectResolved } from '../core/conn/connect';
import type { ConnectionTarget, SessionSafety } from '../core/conn/session';
import { defaultSafety } from '../core/conn/session';
import { resolveCliConnection } from '../core/conn/resolveTarget';
import type { CliIo } from './command';

/**
 * The `--conn` option of every CLI command: a URI, a conninfo string or `service=NAME`, completed
 * from the PG* environment, service files and pgpass the way libpq does (multi-host, TLS modes and
 * target_session_attrs included). Opens a diagnostic session on it; libpq's warnings go to stderr.
 */
export async function openCliSession(conn: string, io: CliIo, safety: Partial<SessionSafety> = {}): Promise<{ client: Client; target: ConnectionTarget; info: SessionInfo }> {
  const resolved = resolveCliConnection(conn, io.env);
  const logger = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: (m: string) => io.err(`WARNING: ${m}`), error: (m: string) => io.err(m) };
  const { client, target, info } = await connectResolved(resolved, { safety: { ...defaultSafety, applicationName: 'pgops (cli)', ...safety }, logger });
  return { client, target, info };
}
