/** Messages between the Activity panel (host) and its webview (webview/activity). */
import type { WaitHistoryPoint } from '../core/ops/waitHistory';
import { isArrayOf, isBareMessage, isNumber, isRecord, isRecordOf, isString, isStringOrNull } from './guards';

/** A session as the panel's table shows it: values already formatted by the host, rendered as text. */
export interface ActivityRow {
  pid: number;
  user: string | null;
  database: string | null;
  application: string | null;
  state: string | null;
  /** waitLabel: `Lock/transactionid: ShareLock on transaction 741`, or ''. */
  wait: string;
  queryAge: string;
  xactAge: string;
  /** `long-transaction`, `idle-in-transaction`, `blocked`, `blocking`. */
  flags: string[];
  /** The statement (redacted), shortened for the table. */
  query: string | null;
}

/** One line of the blocking tree, indented by depth. */
export interface BlockingLine {
  depth: number;
  text: string;
}

export interface ActivityPanelState {
  /** "Activity: <profile>". */
  title: string;
  /** The server's clock when the list was read (ISO 8601). */
  readAt: string;
  /** How far back the chart goes, ms. */
  windowMs: number;
  /** Wait types, the most frequent first: the chart's series order. */
  types: string[];
  points: WaitHistoryPoint[];
  sessions: ActivityRow[];
  blocking: BlockingLine[];
  /** A line about the settings in force: refresh interval, thresholds, idle_in_transaction_session_timeout. */
  note: string;
}

export type HostToActivity = { type: 'state'; state: ActivityPanelState };

export type ActivityToHost = { type: 'ready' };

export function isActivityToHost(m: unknown): m is ActivityToHost {
  return isBareMessage(m, ['ready']);
}

function isActivityRow(r: unknown): r is ActivityRow {
  return (
    isRecord(r) &&
    isNumber(r.pid) &&
    [r.user, r.database, r.application, r.state, r.query].every(isStringOrNull) &&
    [r.wait, r.queryAge, r.xactAge].every(isString) &&
    isArrayOf(r.flags, isString)
  );
}

function isPoint(p: unknown): p is WaitHistoryPoint {
  return isRecord(p) && isNumber(p.at) && isRecordOf(p.counts, isNumber);
}

function isBlockingLine(l: unknown): l is BlockingLine {
  return isRecord(l) && isNumber(l.depth) && isString(l.text);
}

function isPanelState(s: unknown): s is ActivityPanelState {
  return (
    isRecord(s) &&
    [s.title, s.readAt, s.note].every(isString) &&
    isNumber(s.windowMs) &&
    isArrayOf(s.types, isString) &&
    isArrayOf(s.points, isPoint) &&
    isArrayOf(s.sessions, isActivityRow) &&
    isArrayOf(s.blocking, isBlockingLine)
  );
}

export function isHostToActivity(m: unknown): m is HostToActivity {
  if (!isRecord(m)) return false;
  return m.type === 'state' && isPanelState(m.state);
}
