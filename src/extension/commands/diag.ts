import * as vscode from 'vscode';
import { runCancellable } from '../../core/conn/cancel';
import { profileTarget } from '../../core/conn/profile';
import type { FixKind } from '../../core/diag/bloatFix';
import { fixDocument, fixKindsFor } from '../../core/diag/bloatFix';
import { exactCostWarning, measureBloat } from '../../core/diag/bloatExact';
import { listPublications, peekSlot } from '../../core/diag/logicalPeek';
import type { PgoutputPeekOptions } from '../../core/diag/pgoutputProtocols';
import { pgoutputProtocolsFor } from '../../core/diag/pgoutputProtocols';
import { dropSlot } from '../../core/diag/replication';
import type { StatementOrder } from '../../core/diag/statements';
import { canResetStatements, requireStatements, resetStatements, statementOrders } from '../../core/diag/statements';
import { PgOpsError } from '../../core/errors';
import { requireWriteConfirmation } from '../confirm';
import type { ExtensionServices } from '../context';
import { openPeekPanel } from '../panels/peekPanel';
import { openStatementDetail } from '../panels/statementDetailPanel';
import { config } from '../settings';
import { toAbortSignal } from '../ui';
import type { BloatPayload } from '../views/bloatView';
import type { HealthPayload } from '../views/healthView';
import type { StatementPayload } from '../views/queryStatsView';
import type { SlotPayload } from '../views/replicationView';
import { itemPayload as payload, sessionFor } from './diagItem';
import type { CommandGroup } from './index';

const orderItems: Array<{ label: string; order: StatementOrder }> = [
  { label: 'Total time', order: 'total' },
  { label: 'Mean time', order: 'mean' },
  { label: 'Calls', order: 'calls' },
  { label: 'Rows', order: 'rows' },
  { label: 'Shared blocks read (I/O)', order: 'io' },
  { label: 'Temp blocks', order: 'temp' },
  { label: 'WAL bytes', order: 'wal' },
];

/** Query Stats, Replication, Bloat and Health commands: refresh, order/mode, reset, details, waits, slots, fixes. */
export function diagCommands(s: ExtensionServices) {
  const { queryStats, replication, bloat, health } = s.views;
  return {
    'pgops.refreshQueryStats': () => queryStats.refresh(),
    'pgops.queryStatsOrderBy': async () => {
      const pick = await vscode.window.showQuickPick(
        orderItems.map((o) => ({ ...o, description: o.order === queryStats.order ? 'current' : undefined })),
        { title: 'Order Query Stats by' },
      );
      if (!pick || !statementOrders.includes(pick.order)) return;
      await config().update('queryStats.order', pick.order, vscode.ConfigurationTarget.Global);
      await queryStats.refresh();
    },
    'pgops.queryStatsMode': async () => {
      const pick = await vscode.window.showQuickPick(
        [
          { label: 'Cumulative', description: 'since the last reset', mode: 'cumulative' as const },
          {
            label: 'Now',
            description:
              'deltas between snapshots taken at each refresh (set pgops.diag.autoRefreshSeconds for an interval)',
            mode: 'delta' as const,
          },
        ],
        { title: 'Query Stats shows' },
      );
      if (!pick) return;
      await config().update('queryStats.mode', pick.mode, vscode.ConfigurationTarget.Global);
      await queryStats.refresh();
    },
    'pgops.resetQueryStats': async () => {
      const ctx = queryStats.context();
      if ('error' in ctx) throw new PgOpsError('diag-no-session', ctx.error, 'Connect a profile first.');
      const source = await requireStatements(ctx.client);
      const perm = await canResetStatements(ctx.client, source);
      if (!perm.allowed)
        throw new PgOpsError(
          'pgss-reset-denied',
          'This role may not reset pg_stat_statements',
          `A superuser can allow it: GRANT EXECUTE ON FUNCTION ${perm.signature} TO <role>;`,
        );
      await requireWriteConfirmation(ctx.profile, 'reset pg_stat_statements (every entry, for all databases)');
      await resetStatements(ctx.client, source);
      await queryStats.refresh();
    },
    'pgops.showStatementDetail': (node) => {
      const p = payload<StatementPayload>(
        node,
        (x) => typeof x === 'object' && x !== null && 'statement' in x,
        'a statement',
      );
      const ctx = sessionFor(queryStats, p.profileId);
      const panel = openStatementDetail(
        s.context.extensionUri,
        p,
        queryStats.history(p.profileId).pointsOf(p.statement.key),
        ctx.serverVersionNum,
        () => sessionFor(queryStats, p.profileId).client,
      );
      // the panel belongs to its connection: disconnecting closes it; closing it first releases it
      const owned = ctx.session.own('statement detail panel', () => panel.dispose());
      panel.panel.onDidDispose(() => void owned.dispose());
      return panel;
    },
    'pgops.toggleWaitSampling': async () => {
      const on = await queryStats.toggleSampling();
      s.logger.info(`wait-event sampling ${on ? 'started' : 'stopped'}`);
    },
    // the fix text (a row's click), or a health check row (its menu)
    'pgops.openDiagFix': async (arg) => {
      const fix =
        typeof arg === 'string'
          ? arg
          : payload<HealthPayload>(
              arg,
              (x) => typeof (x as Partial<HealthPayload>).result?.fix === 'string',
              'a health check with a fix',
            ).result.fix;
      await vscode.window.showTextDocument(
        await vscode.workspace.openTextDocument({ language: 'sql', content: `${fix}\n` }),
      );
    },
    'pgops.refreshReplication': () => replication.refresh(),
    'pgops.dropSlot': async (node) => {
      const p = payload<SlotPayload>(
        node,
        (x) => typeof x === 'object' && x !== null && 'slot' in x,
        'a replication slot',
      );
      const ctx = sessionFor(replication, p.profileId);
      if (p.slot.active)
        throw new PgOpsError(
          'slot-active',
          `Replication slot "${p.slot.slotName}" is active (used by PID ${p.slot.activePid ?? '?'}) and cannot be dropped`,
          'Stop its consumer first (subscription, standby or pg_recvlogical), then drop it.',
        );
      await requireWriteConfirmation(
        ctx.profile,
        `drop replication slot "${p.slot.slotName}" (its consumer can no longer resume from it)`,
      );
      await dropSlot(ctx.client, p.slot.slotName);
      await replication.refresh();
    },
    'pgops.peekSlot': async (node) => {
      const p = payload<SlotPayload>(
        node,
        (x) => typeof x === 'object' && x !== null && 'slot' in x,
        'a logical replication slot',
      );
      const ctx = sessionFor(replication, p.profileId);
      const limit = config().get<number>('replication.peekLimit', 200);
      let opts: PgoutputPeekOptions = {};
      if (p.slot.plugin === 'pgoutput') {
        const pick = await vscode.window.showQuickPick(pgoutputProtocolsFor(ctx.serverVersionNum), {
          title: `Peek ${p.slot.slotName} (pgoutput) with`,
        });
        if (!pick) return undefined;
        opts = pick.opts;
        const publications = await listPublications(ctx.client);
        if (publications.length > 1) {
          const chosen = await vscode.window.showQuickPick(
            publications.map((pub) => ({
              label: pub.name,
              description: pub.allTables ? 'FOR ALL TABLES' : `${pub.tables} table(s)`,
              picked: true,
            })),
            {
              canPickMany: true,
              title: `Peek ${p.slot.slotName}: publications to decode with`,
              placeHolder: "Keep the subscriber's publications checked",
            },
          );
          if (!chosen || chosen.length === 0) return undefined;
          opts = { ...opts, publications: chosen.map((c) => c.label) };
        }
      }
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Peeking ${p.slot.slotName}…`, cancellable: true },
        (_progress, token) =>
          runCancellable(ctx.client, toAbortSignal(token), () => peekSlot(ctx.client, p.slot.slotName, limit, opts)),
      );
      return openPeekPanel(s.context.extensionUri, result, limit);
    },
    'pgops.refreshBloat': () => bloat.refresh(),
    'pgops.refreshHealth': () => health.refresh(),
    'pgops.measureBloat': async (node) => {
      const p = payload<BloatPayload>(
        node,
        (x) => typeof x === 'object' && x !== null && 'estimate' in x,
        'a table or index',
      );
      const ctx = sessionFor(bloat, p.profileId);
      const b = p.estimate;
      const choices =
        b.kind === 'table' ? ['Approximate (pgstattuple_approx)', 'Exact (pgstattuple)'] : ['Measure (pgstatindex)'];
      const answer = await vscode.window.showWarningMessage(
        `Measure ${b.schema}.${b.name} exactly?`,
        { modal: true, detail: exactCostWarning },
        ...choices,
      );
      if (!answer) return;
      const m = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Measuring ${b.schema}.${b.name} (${answer})…`,
          cancellable: true,
        },
        (_progress, token) =>
          runCancellable(ctx.client, toAbortSignal(token), () =>
            measureBloat(ctx.client, b.oid, b.kind, { exact: answer.startsWith('Exact'), fillfactor: b.fillfactor }),
          ),
      );
      bloat.recordMeasurement(p.profileId, b.oid, m);
      return m;
    },
    'pgops.generateBloatFix': async (node) => {
      const p = payload<BloatPayload>(
        node,
        (x) => typeof x === 'object' && x !== null && 'estimate' in x,
        'a table or index',
      );
      const profile = s.profiles.get(p.profileId);
      const t = profile ? profileTarget(profile) : undefined;
      const labels: Record<FixKind, string> = {
        vacuum: 'VACUUM (VERBOSE, ANALYZE)',
        reindex: 'REINDEX INDEX CONCURRENTLY',
        repack: 'pg_repack (online rebuild, --no-kill-backend)',
      };
      const items = fixKindsFor(p.estimate.kind).map((k) => ({ label: labels[k], fix: k }));
      const pick = await vscode.window.showQuickPick(items, {
        title: `Fix bloat of ${p.estimate.schema}.${p.estimate.name}`,
      });
      if (!pick) return;
      const doc = fixDocument(
        {
          schema: p.estimate.schema,
          name: p.estimate.name,
          kind: p.estimate.kind,
          database: p.database,
          host: t?.host,
          port: t?.port,
          user: t?.user,
        },
        pick.fix,
        config().get<number>('bloat.repackWaitTimeout', 60),
      );
      await vscode.window.showTextDocument(
        await vscode.workspace.openTextDocument({ language: doc.language, content: doc.content }),
      );
    },
  } satisfies CommandGroup;
}
