import type { Client } from 'pg';
import { describeError, PgOpsError } from '../errors';
import { quoteQualified } from '../sql';

/**
 * The drill's application: one session opened like an application's (the profile's hosts with
 * target_session_attrs=read-write), inserting numbered rows on a fixed clock and reconnecting when the
 * session breaks. It records when each insert was acknowledged, and each failed insert or connection
 * attempt with its error class, so the drill can say what the application saw.
 */

export interface DrillTable {
  schema: string;
  name: string;
}

export const defaultDrillTable: DrillTable = { schema: 'public', name: 'pgops_drill' };

/** One insert: numbered from 1, times in ms since the drill started. */
export interface WriteAttempt {
  seq: number;
  sentMs: number;
  /** When the server acknowledged the commit; absent when the attempt failed (its outcome is then unknown). */
  ackMs?: number;
  error?: string;
  /** The server that answered (host:port), for acknowledged writes. */
  server?: string;
}

export interface ConnectAttempt {
  atMs: number;
  doneMs: number;
  ok: boolean;
  error?: string;
  server?: string;
}

export interface WriterLog {
  writes: WriteAttempt[];
  connects: ConnectAttempt[];
  /** The first message of each error class, as the application saw it (pgops' messages never carry a secret). */
  firstErrors: Record<string, string>;
}

function noteError(log: WriterLog, err: unknown): string {
  const cls = errorClass(err);
  log.firstErrors[cls] ??= describeError(err).slice(0, 500);
  return cls;
}

export interface WriterSession {
  client: Client;
  /** host:port it reached */
  server: string;
}

/** The SQLSTATE (57P01 admin_shutdown, 25006 read_only_sql_transaction…), else the socket error code, else the pgops error code. */
export function errorClass(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  if (PgOpsError.is(err)) return err.code;
  const msg = err instanceof Error ? err.message : String(err);
  if (/terminated|ended unexpectedly|not queryable/i.test(msg)) return 'connection-lost';
  if (/timeout/i.test(msg)) return 'timeout';
  return 'error';
}

export function drillTableSql(t: DrillTable): { create: string; insert: string; readBack: string; cleanup: string } {
  const q = quoteQualified(t.schema, t.name);
  return {
    create: `CREATE TABLE IF NOT EXISTS ${q} (run_id text NOT NULL, seq bigint NOT NULL,
  written_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(), PRIMARY KEY (run_id, seq))`,
    insert: `INSERT INTO ${q} (run_id, seq) VALUES ($1, $2)`,
    readBack: `SELECT seq FROM ${q} WHERE run_id = $1`,
    cleanup: `DELETE FROM ${q} WHERE run_id = $1`,
  };
}

export interface ProbeWriterOptions {
  open: () => Promise<WriterSession>;
  table: DrillTable;
  runId: string;
  intervalMs: number;
  /** ms since the drill started */
  now: () => number;
  /** Keeps writing while this says so (checked before every tick). */
  keepGoing: () => boolean;
  signal?: AbortSignal;
}

/** Waits `ms`, or less when the signal aborts (it resolves then: the caller checks the signal and winds down). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Writes until keepGoing() turns false: one insert per tick of intervalMs, never two at once. A failure ends
 * the session; the next tick opens a new one (libpq's host order and target_session_attrs choose the
 * server), so reconnect attempts are paced by the same clock an application's retry loop would use.
 */
export async function runProbeWriter(o: ProbeWriterOptions, log: WriterLog): Promise<void> {
  const sql = drillTableSql(o.table);
  let session: WriterSession | undefined;
  let seq = 0;
  let tick = o.now();
  try {
    while (o.keepGoing() && !o.signal?.aborted) {
      if (!session) {
        const atMs = o.now();
        try {
          session = await o.open();
          session.client.on('error', () => undefined);
          log.connects.push({ atMs, doneMs: o.now(), ok: true, server: session.server });
        } catch (err) {
          log.connects.push({ atMs, doneMs: o.now(), ok: false, error: noteError(log, err) });
        }
      }
      if (session) {
        const w: WriteAttempt = { seq: ++seq, sentMs: o.now() };
        log.writes.push(w);
        try {
          await session.client.query(sql.insert, [o.runId, w.seq]);
          w.ackMs = o.now();
          w.server = session.server;
        } catch (err) {
          w.error = noteError(log, err);
          const broken = session;
          session = undefined;
          await broken.client.end().catch(() => undefined);
        }
      }
      tick += o.intervalMs;
      // a tick missed while an attempt hung is skipped, not made up: the clock stays the application's
      if (tick < o.now()) tick = o.now();
      await pause(tick - o.now(), o.signal);
    }
  } finally {
    await session?.client.end().catch(() => undefined);
  }
}
