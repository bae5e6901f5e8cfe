import type { Client } from 'pg';
import type { ConnectionTarget, SessionSafety } from '../core/conn/session';
import { defaultSafety, openSession } from '../core/conn/session';
import { resolveCliTarget } from '../core/conn/resolveTarget';
import type { CliIo } from './command';

/**
 * The `--conn` option of every CLI command: a URI, a conninfo string or `service=NAME`, completed
 * from the PG* environment and pgpass the way libpq does. Opens a diagnostic session on it.
 */
export async function openCliSession(conn: string, io: CliIo, safety: Partial<SessionSafety> = {}): Promise<{ client: Client; target: ConnectionTarget }> {
  const target = await resolveCliTarget(conn, io.env);
  const client = await openSession(target, { ...defaultSafety, applicationName: 'pgops (cli)', ...safety });
  return { client, target };
}
