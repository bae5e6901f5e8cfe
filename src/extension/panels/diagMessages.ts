/**
 * Typed messages between the diagnostic panels (statement detail, peek table) and their webviews.
 * Free of `vscode` so the webview bundles can import the types and guards.
 */
import type { PeekRow } from '../../core/diag/logicalPeek';
import type { DeltaPoint } from '../../core/diag/statementDeltas';
import type { StatementStats } from '../../core/diag/statements';

/** A statement as the detail webview shows it: the core row without its key parts. */
export type StatementView = Omit<StatementStats, 'key' | 'userid' | 'dbid'>;

export type HostToStatement =
  | { type: 'show'; statement: StatementView; points: DeltaPoint[]; canExplain: boolean; explainNote?: string }
  | { type: 'plan'; text: string }
  | { type: 'error'; message: string };

export type StatementToHost = { type: 'ready' } | { type: 'openInEditor' } | { type: 'explain' };

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

const isObj = (m: unknown): m is Record<string, unknown> => typeof m === 'object' && m !== null;

export function isStatementToHost(m: unknown): m is StatementToHost {
  return isObj(m) && (m.type === 'ready' || m.type === 'openInEditor' || m.type === 'explain');
}

export function isHostToStatement(m: unknown): m is HostToStatement {
  return (
    isObj(m) &&
    ((m.type === 'show' && isObj(m.statement) && Array.isArray(m.points)) ||
      (m.type === 'plan' && typeof m.text === 'string') ||
      (m.type === 'error' && typeof m.message === 'string'))
  );
}

export function isPeekToHost(m: unknown): m is PeekToHost {
  return isObj(m) && m.type === 'ready';
}

export function isHostToPeek(m: unknown): m is HostToPeek {
  return (
    isObj(m) &&
    m.type === 'show' &&
    typeof m.slotName === 'string' &&
    Array.isArray(m.rows) &&
    Array.isArray(m.warnings)
  );
}
