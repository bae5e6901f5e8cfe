/** Messages between the peek panel (host) and its webview (webview/peek). */
import type { PeekRow } from '../core/diag/logicalPeek';
import { isArrayOf, isBareMessage, isNumber, isOptional, isRecord, isRecordOf, isString } from './guards';

export type HostToPeek = {
  type: 'show';
  slotName: string;
  plugin: string;
  options: Record<string, string>;
  rows: PeekRow[];
  limit: number;
  warnings: string[];
};

export type PeekToHost = { type: 'ready' };

export function isPeekToHost(m: unknown): m is PeekToHost {
  return isBareMessage(m, ['ready']);
}

function isPeekRow(r: unknown): r is PeekRow {
  return (
    isRecord(r) &&
    isString(r.lsn) &&
    isString(r.xid) &&
    isString(r.kind) &&
    isOptional(isString)(r.relation) &&
    isString(r.text)
  );
}

export function isHostToPeek(m: unknown): m is HostToPeek {
  return (
    isRecord(m) &&
    m.type === 'show' &&
    isString(m.slotName) &&
    isString(m.plugin) &&
    isRecordOf(m.options, isString) &&
    isArrayOf(m.rows, isPeekRow) &&
    isNumber(m.limit) &&
    isArrayOf(m.warnings, isString)
  );
}
