/** Messages between the statement detail panel (host) and its webview (webview/statement). */
import type { DeltaPoint } from '../core/diag/statementDeltas';
import type { StatementStats } from '../core/diag/statements';
import {
  isBareMessage,
  isArrayOf,
  isNumber,
  isOptional,
  isRecord,
  isRecordOf,
  isString,
  isStringOrNull,
} from './guards';

/** A statement as the detail webview shows it: the core row without its key parts. */
export type StatementView = Omit<StatementStats, 'key' | 'userid' | 'dbid'>;

export type HostToStatement =
  | { type: 'show'; statement: StatementView; points: DeltaPoint[]; canExplain: boolean; explainNote?: string }
  | { type: 'plan'; text: string }
  | { type: 'error'; message: string };

export type StatementToHost = { type: 'ready' } | { type: 'openInEditor' } | { type: 'explain' };

export function isStatementToHost(m: unknown): m is StatementToHost {
  return isBareMessage(m, ['ready', 'openInEditor', 'explain']);
}

function isStatementView(s: unknown): s is StatementView {
  return (
    isRecord(s) &&
    isStringOrNull(s.queryid) &&
    (s.toplevel === null || typeof s.toplevel === 'boolean') &&
    isStringOrNull(s.user) &&
    isStringOrNull(s.database) &&
    isStringOrNull(s.query) &&
    isStringOrNull(s.statsSince) &&
    [s.calls, s.totalMs, s.meanMs, s.rows, s.sharePct].every(isNumber) &&
    isRecordOf(s.counters, isNumber) &&
    isRecordOf(s.gauges, isNumber)
  );
}

function isDeltaPoint(p: unknown): p is DeltaPoint {
  return isRecord(p) && [p.at, p.seconds, p.calls, p.totalMs, p.rows].every(isNumber);
}

export function isHostToStatement(m: unknown): m is HostToStatement {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'show':
      return (
        isStatementView(m.statement) &&
        isArrayOf(m.points, isDeltaPoint) &&
        typeof m.canExplain === 'boolean' &&
        isOptional(isString)(m.explainNote)
      );
    case 'plan':
      return isString(m.text);
    case 'error':
      return isString(m.message);
    default:
      return false;
  }
}
