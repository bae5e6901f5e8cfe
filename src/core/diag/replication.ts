import { PgOpsError } from '../errors';
import { diagError } from './diagErrors';
import type { Queryable } from './queryable';
import { num, numOrNull } from './queryable';

export interface ReplicationSlot {
  slotName: string;
  slotType: 'physical' | 'logical';
  plugin: string | null;
  database: string | null;
  temporary: boolean;
  active: boolean;
  activePid: number | null;
  restartLsn: string | null;
  confirmedFlushLsn: string | null;
  walStatus: string | null;
  safeWalSize: number | null;
  /** WAL from restart_lsn to the current position (insert LSN on a primary, received/replayed on a standby). */
  retainedBytes: number | null;
  /** Logical only: WAL not yet confirmed by the consumer. */
  unconfirmedBytes: number | null;
  xminAge: number | null;
  /** Columns that only some versions have are undefined where absent. */
  twoPhase?: boolean | null;
  twoPhaseAt?: string | null;
  conflicting?: boolean | null;
  inactiveSince?: string | null;
  invalidationReason?: string | null;
  failover?: boolean | null;
  synced?: boolean | null;
}

export interface SlotWarning {
  level: 'warning' | 'error';
  message: string;
}

/** The current WAL position: pg_current_wal_lsn() fails during recovery, so a standby uses what it received or replayed. */
const currentLsnCte = `cur AS (SELECT pg_is_in_recovery() AS standby,
  CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) ELSE pg_current_wal_lsn() END AS lsn)`;

/** The slots query for a server version (13–18): only the columns that version has. */
export function slotsSql(serverVersionNum: number): string {
  const extra: string[] = [];
  if (serverVersionNum >= 140000) extra.push('s.two_phase');
  if (serverVersionNum >= 160000) extra.push('s.conflicting');
  if (serverVersionNum >= 170000)
    extra.push('s.inactive_since::text AS inactive_since', 's.invalidation_reason', 's.failover', 's.synced');
  if (serverVersionNum >= 180000) extra.push('s.two_phase_at::text AS two_phase_at');
  return `WITH ${currentLsnCte}
SELECT s.slot_name::text AS slot_name, s.plugin::text AS plugin, s.slot_type, s.database::text AS database, s.temporary,
       s.active, s.active_pid, s.restart_lsn::text AS restart_lsn, s.confirmed_flush_lsn::text AS confirmed_flush_lsn,
       s.wal_status, s.safe_wal_size,
       pg_wal_lsn_diff(cur.lsn, s.restart_lsn)::float8 AS retained_bytes,
       pg_wal_lsn_diff(cur.lsn, s.confirmed_flush_lsn)::float8 AS unconfirmed_bytes,
       greatest(age(s.xmin), age(s.catalog_xmin)) AS xmin_age${extra.length ? `,\n       ${extra.join(', ')}` : ''}
FROM pg_replication_slots s, cur
ORDER BY retained_bytes DESC NULLS LAST, s.slot_name`;
}

export async function listSlots(client: Queryable, serverVersionNum: number): Promise<ReplicationSlot[]> {
  let rows: Array<Record<string, unknown>>;
  try {
    rows = (await client.query(slotsSql(serverVersionNum))).rows;
  } catch (err) {
    throw diagError(err, 'Reading pg_replication_slots');
  }
  return rows.map((r) => {
    const slot: ReplicationSlot = {
      slotName: String(r.slot_name),
      slotType: r.slot_type === 'logical' ? 'logical' : 'physical',
      plugin: (r.plugin as string | null) ?? null,
      database: (r.database as string | null) ?? null,
      temporary: !!r.temporary,
      active: !!r.active,
      activePid: numOrNull(r.active_pid),
      restartLsn: (r.restart_lsn as string | null) ?? null,
      confirmedFlushLsn: (r.confirmed_flush_lsn as string | null) ?? null,
      walStatus: (r.wal_status as string | null) ?? null,
      safeWalSize: numOrNull(r.safe_wal_size),
      retainedBytes: numOrNull(r.retained_bytes),
      unconfirmedBytes: numOrNull(r.unconfirmed_bytes),
      xminAge: numOrNull(r.xmin_age),
    };
    for (const [col, key] of [
      ['two_phase', 'twoPhase'],
      ['conflicting', 'conflicting'],
      ['failover', 'failover'],
      ['synced', 'synced'],
    ] as const) {
      if (col in r) slot[key] = r[col] === null ? null : !!r[col];
    }
    for (const [col, key] of [
      ['inactive_since', 'inactiveSince'],
      ['invalidation_reason', 'invalidationReason'],
      ['two_phase_at', 'twoPhaseAt'],
    ] as const) {
      if (col in r) slot[key] = (r[col] as string | null) ?? null;
    }
    return slot;
  });
}

/** Why a slot deserves attention: it holds WAL while unused, or is about to be (or was) invalidated. */
export function slotWarnings(s: ReplicationSlot, inactiveRetainedThreshold: number): SlotWarning[] {
  const w: SlotWarning[] = [];
  if (s.walStatus === 'lost')
    w.push({ level: 'error', message: 'wal_status = lost: the WAL this slot needs was removed; the slot is unusable' });
  else if (s.walStatus === 'unreserved')
    w.push({
      level: 'warning',
      message: 'wal_status = unreserved: its WAL will be removed at the next checkpoint (max_slot_wal_keep_size)',
    });
  if (s.invalidationReason) w.push({ level: 'error', message: `invalidated: ${s.invalidationReason}` });
  if (s.conflicting) w.push({ level: 'error', message: 'conflicting: invalidated by a recovery conflict' });
  if (!s.active && (s.retainedBytes ?? 0) > inactiveRetainedThreshold) {
    w.push({
      level: 'warning',
      message: `inactive and retaining ${formatBytes(s.retainedBytes ?? 0)} of WAL${s.inactiveSince ? ` (inactive since ${s.inactiveSince})` : ''}`,
    });
  }
  return w;
}

export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

const sizeUnits: Record<string, number> = {
  b: 1,
  bytes: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  tb: 1024 ** 4,
  pb: 1024 ** 5,
};

/**
 * A size as PostgreSQL's pg_size_bytes reads it: a number of bytes, or a number with a unit of
 * bytes, B, kB, MB, GB, TB or PB (any case, powers of 1024), e.g. `1GB`, `512 MB`, `1.5TB`.
 * Undefined when the text is not one.
 */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = m[2] === '' ? 1 : sizeUnits[m[2].toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** The slots that retain more WAL than `maxBytes` (a slot whose retention is unknown is not counted). */
export function slotsRetainingOver(slots: ReplicationSlot[], maxBytes: number): ReplicationSlot[] {
  return slots.filter((s) => s.retainedBytes !== null && s.retainedBytes > maxBytes);
}

export interface Standby {
  pid: number;
  user: string | null;
  applicationName: string | null;
  clientAddr: string | null;
  state: string | null;
  syncState: string | null;
  syncPriority: number | null;
  sentLsn: string | null;
  replayLsn: string | null;
  writeLagBytes: number | null;
  flushLagBytes: number | null;
  replayLagBytes: number | null;
  writeLagMs: number | null;
  flushLagMs: number | null;
  replayLagMs: number | null;
  replyTime: string | null;
}

/** Walsenders on this node (13–18 alike). Without pg_read_all_stats only `pid` is visible. */
export const standbysSql = `WITH ${currentLsnCte}
SELECT r.pid, r.usename::text AS usename, r.application_name, r.client_addr::text AS client_addr, r.state, r.sync_state, r.sync_priority,
       r.sent_lsn::text AS sent_lsn, r.replay_lsn::text AS replay_lsn,
       pg_wal_lsn_diff(cur.lsn, r.write_lsn)::float8 AS write_lag_bytes,
       pg_wal_lsn_diff(cur.lsn, r.flush_lsn)::float8 AS flush_lag_bytes,
       pg_wal_lsn_diff(cur.lsn, r.replay_lsn)::float8 AS replay_lag_bytes,
       (extract(epoch FROM r.write_lag) * 1000)::float8 AS write_lag_ms,
       (extract(epoch FROM r.flush_lag) * 1000)::float8 AS flush_lag_ms,
       (extract(epoch FROM r.replay_lag) * 1000)::float8 AS replay_lag_ms,
       r.reply_time::text AS reply_time
FROM pg_stat_replication r, cur
ORDER BY r.application_name, r.pid`;

/** One row of standbysSql: text columns as text (or NULL without pg_read_all_stats); numbers go through num(). */
type StandbyRow = Record<
  'usename' | 'application_name' | 'client_addr' | 'state' | 'sync_state' | 'sent_lsn' | 'replay_lsn' | 'reply_time',
  string | null
> &
  Record<
    | 'pid'
    | 'sync_priority'
    | 'write_lag_bytes'
    | 'flush_lag_bytes'
    | 'replay_lag_bytes'
    | 'write_lag_ms'
    | 'flush_lag_ms'
    | 'replay_lag_ms',
    unknown
  >;

export async function listStandbys(client: Queryable): Promise<Standby[]> {
  try {
    const r = await client.query<StandbyRow>(standbysSql);
    return r.rows.map((x) => ({
      pid: num(x.pid),
      user: x.usename ?? null,
      applicationName: x.application_name ?? null,
      clientAddr: x.client_addr ?? null,
      state: x.state ?? null,
      syncState: x.sync_state ?? null,
      syncPriority: numOrNull(x.sync_priority),
      sentLsn: x.sent_lsn ?? null,
      replayLsn: x.replay_lsn ?? null,
      writeLagBytes: numOrNull(x.write_lag_bytes),
      flushLagBytes: numOrNull(x.flush_lag_bytes),
      replayLagBytes: numOrNull(x.replay_lag_bytes),
      writeLagMs: numOrNull(x.write_lag_ms),
      flushLagMs: numOrNull(x.flush_lag_ms),
      replayLagMs: numOrNull(x.replay_lag_ms),
      replyTime: x.reply_time ?? null,
    }));
  } catch (err) {
    throw diagError(err, 'Reading pg_stat_replication', 'pg_read_all_stats');
  }
}

export interface WalReceiver {
  pid: number;
  status: string | null;
  senderHost: string | null;
  senderPort: number | null;
  slotName: string | null;
  flushedLsn: string | null;
  latestEndLsn: string | null;
  lastMsgReceiptTime: string | null;
  replayLsn: string | null;
  /** Received and flushed but not yet replayed on this standby. */
  replayLagBytes: number | null;
}

/** On a standby: its WAL receiver (one row, or none when not streaming). */
export const walReceiverSql = `SELECT w.pid, w.status, w.sender_host, w.sender_port, w.slot_name, w.flushed_lsn::text AS flushed_lsn,
       w.latest_end_lsn::text AS latest_end_lsn, w.last_msg_receipt_time::text AS last_msg_receipt_time,
       pg_last_wal_replay_lsn()::text AS replay_lsn,
       pg_wal_lsn_diff(w.flushed_lsn, pg_last_wal_replay_lsn())::float8 AS replay_lag_bytes
FROM pg_stat_wal_receiver w`;

type WalReceiverRow = Record<
  'status' | 'sender_host' | 'slot_name' | 'flushed_lsn' | 'latest_end_lsn' | 'last_msg_receipt_time' | 'replay_lsn',
  string | null
> &
  Record<'pid' | 'sender_port' | 'replay_lag_bytes', unknown>;

export interface ReplicationOverview {
  standby: boolean;
  /** The role can read other backends' replication details (pg_read_all_stats). */
  readAllStats: boolean;
  slots: ReplicationSlot[];
  standbys: Standby[];
  receiver: WalReceiver | null;
}

export async function replicationOverview(client: Queryable, serverVersionNum: number): Promise<ReplicationOverview> {
  let head: { standby: boolean; read_all_stats: boolean };
  try {
    head = (
      await client.query<typeof head>(
        "SELECT pg_is_in_recovery() AS standby, pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS read_all_stats",
      )
    ).rows[0];
  } catch (err) {
    throw diagError(err, 'Checking the replication role of the server');
  }
  const slots = await listSlots(client, serverVersionNum);
  const standbys = await listStandbys(client);
  let receiver: WalReceiver | null = null;
  if (head.standby) {
    try {
      const x = (await client.query<WalReceiverRow>(walReceiverSql)).rows[0];
      if (x) {
        receiver = {
          pid: num(x.pid),
          status: x.status ?? null,
          senderHost: x.sender_host ?? null,
          senderPort: numOrNull(x.sender_port),
          slotName: x.slot_name ?? null,
          flushedLsn: x.flushed_lsn ?? null,
          latestEndLsn: x.latest_end_lsn ?? null,
          lastMsgReceiptTime: x.last_msg_receipt_time ?? null,
          replayLsn: x.replay_lsn ?? null,
          replayLagBytes: numOrNull(x.replay_lag_bytes),
        };
      }
    } catch (err) {
      throw diagError(err, 'Reading pg_stat_wal_receiver', 'pg_read_all_stats');
    }
  }
  return { standby: head.standby, readAllStats: head.read_all_stats, slots, standbys, receiver };
}

/** Drops an inactive slot. An active one is refused before asking the server, with the pid that uses it. */
export async function dropSlot(client: Queryable, slotName: string): Promise<void> {
  const r = await client.query<{ active: boolean; active_pid: number | null }>(
    'SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = $1',
    [slotName],
  );
  const slot = r.rows[0];
  if (!slot)
    throw new PgOpsError(
      'slot-missing',
      `Replication slot "${slotName}" does not exist`,
      'Refresh the Replication view.',
    );
  if (slot.active) {
    throw new PgOpsError(
      'slot-active',
      `Replication slot "${slotName}" is active (used by PID ${slot.active_pid ?? '?'}) and cannot be dropped`,
      'Stop its consumer first (the subscription, standby or pg_recvlogical), or end that backend with ' +
        `pg_terminate_backend(${slot.active_pid ?? 'pid'}), then drop it.`,
    );
  }
  try {
    await client.query('BEGIN READ WRITE');
    await client.query('SELECT pg_drop_replication_slot($1)', [slotName]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    const e = err as { code?: string; message?: string };
    if (e.code === '55006')
      throw new PgOpsError(
        'slot-active',
        `Replication slot "${slotName}" became active: ${e.message}`,
        'Stop its consumer first, then drop it.',
        { cause: err },
      );
    throw diagError(err, `Dropping replication slot "${slotName}"`, 'REPLICATION');
  }
}
