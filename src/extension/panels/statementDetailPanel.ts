import * as vscode from 'vscode';
import { explainGenericPlan, genericPlanRefusal } from '../../core/diag/statements';
import type { DeltaPoint } from '../../core/diag/statementDeltas';
import type { Queryable } from '../../core/diag/queryable';
import type { StatementPayload } from '../views/queryStatsView';
import { DiagPanel } from './diagPanel';
import type { HostToStatement, StatementToHost } from '../../protocol/statement';
import { isStatementToHost } from '../../protocol/statement';

/**
 * Opens the detail of one statement; `session` returns the live session for EXPLAIN (or throws why not).
 *
 * Retained, not restored: its chart is the deltas this connection's session collected in memory,
 * which a window reload discards with the connection, and EXPLAIN needs that live session. A restored
 * panel could show neither; the Query Stats view opens it again once connected.
 */
export function openStatementDetail(
  extensionUri: vscode.Uri,
  p: StatementPayload,
  points: DeltaPoint[],
  serverVersionNum: number,
  session: () => Queryable,
): DiagPanel<HostToStatement, StatementToHost> {
  const s = p.statement;
  const refusal = genericPlanRefusal(serverVersionNum, s.query);
  const panel: DiagPanel<HostToStatement, StatementToHost> = new DiagPanel(
    extensionUri,
    'pgops.statementDetail',
    `Statement ${s.queryid ?? ''}`.trim(),
    'statement',
    isStatementToHost,
    (m) => {
      if (m.type === 'openInEditor') {
        void vscode.workspace
          .openTextDocument({ language: 'sql', content: `${s.query ?? ''}\n` })
          .then((d) => vscode.window.showTextDocument(d));
      } else if (m.type === 'explain') {
        void (async () => {
          try {
            panel.post({
              type: 'plan',
              text: await explainGenericPlan(session(), serverVersionNum, s.query ?? '', {
                role: s.user,
                database: s.database,
              }),
            });
          } catch (err) {
            panel.post({
              type: 'error',
              message:
                err instanceof Error
                  ? `${err.message}${'hint' in err && typeof err.hint === 'string' && err.hint ? ` — ${err.hint}` : ''}`
                  : String(err),
            });
          }
        })();
      }
    },
  );
  const { key: _key, userid: _userid, dbid: _dbid, ...statement } = s;
  panel.post({
    type: 'show',
    points,
    canExplain: !refusal,
    statement,
    explainNote: refusal?.message,
  });
  return panel;
}
