import * as vscode from 'vscode';
import { databaseHostShell } from '../../core/bench/hostShell';
import { PgOpsError } from '../../core/errors';
import { cleanupScript, cleanUpLeftovers, findLeftovers } from '../../core/fix/leftovers';
import type { FixAction } from '../../core/fix/plan';
import type { FixSettings } from '../../core/fix/prepare';
import { fixSettingsFrom, leftoversText, prepareFix } from '../../core/fix/prepare';
import { quoteQualified } from '../../core/sql';
import { requireWriteConfirmation } from '../confirm';
import type { ExtensionServices } from '../context';
import { FixPanel } from '../panels/fixPanel';
import { benchReportsFolder, config } from '../settings';
import { toAbortSignal } from '../ui';
import type { BloatPayload } from '../views/bloatView';
import { itemPayload as payload, sessionFor } from './diagItem';
import type { CommandGroup } from './index';

interface FixChoice {
  label: string;
  detail: string;
  action: FixAction;
  full?: boolean;
  onlyIndexes?: boolean;
}

/** What can be run on a table or an index, in the order a DBA would try them. */
function choicesFor(kind: 'table' | 'index'): FixChoice[] {
  if (kind === 'index')
    return [
      {
        label: 'REINDEX INDEX CONCURRENTLY',
        detail: 'rebuild the index beside the old one; writes go on',
        action: 'reindex',
      },
      { label: 'pg_repack --index', detail: 'rebuild the index online with pg_repack', action: 'repack' },
    ];
  return [
    {
      label: 'VACUUM (VERBOSE, ANALYZE)',
      detail: 'free dead rows for reuse; reads and writes go on',
      action: 'vacuum',
    },
    {
      label: 'pg_repack',
      detail: 'rewrite the table online; brief ACCESS EXCLUSIVE locks at start and end',
      action: 'repack',
    },
    {
      label: 'pg_repack --only-indexes',
      detail: "rebuild the table's indexes online",
      action: 'repack',
      onlyIndexes: true,
    },
    { label: 'REINDEX TABLE CONCURRENTLY', detail: "rebuild the table's indexes; writes go on", action: 'reindex' },
    {
      label: 'VACUUM FULL',
      detail: 'rewrite the table under ACCESS EXCLUSIVE: nobody can read or write it until it ends',
      action: 'vacuum',
      full: true,
    },
  ];
}

/** The pgops.fix.* settings (pg_repack's wait timeout is pgops.bloat.repackWaitTimeout, shared with Generate Fix). */
export function fixSettings(): FixSettings {
  const c = config();
  return fixSettingsFrom((key) => c.get(key));
}

/** Fix… on a Bloat row and Clean Up After Interrupted Fixes… (palette, Health view). */
export function fixCommands(s: ExtensionServices) {
  const { bloat, health } = s.views;
  const refreshViews = () => {
    void bloat.refresh();
    void health.refresh();
  };
  return {
    'pgops.fixRelation': async (node) => {
      const p = payload<BloatPayload>(
        node,
        (x) => typeof x === 'object' && x !== null && 'estimate' in x,
        'a table or index in the Bloat view',
      );
      const ctx = sessionFor(bloat, p.profileId);
      const b = p.estimate;
      const pick = await vscode.window.showQuickPick(choicesFor(b.kind), {
        title: `Fix ${b.schema}.${b.name}: the checklist runs first, nothing changes until you press Run`,
      });
      if (!pick) return undefined;
      const settings = fixSettings();
      const endpoint = await s.sessions.endpoint(ctx.profile, pick.action === 'repack' ? 'pg_repack' : undefined);
      const target = endpoint.target;
      const prepared = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Checking ${b.schema}.${b.name}…`, cancellable: true },
        async (_progress, token) => {
          const signal = toAbortSignal(token);
          const r = await prepareFix(
            ctx.client,
            b.kind === 'index'
              ? { index: quoteQualified(b.schema, b.name) }
              : { table: quoteQualified(b.schema, b.name) },
            { action: pick.action, full: pick.full, onlyIndexes: pick.onlyIndexes },
            target,
            settings,
            {
              serverMajor: Math.floor(ctx.serverVersionNum / 10000),
              hostShell: async () => {
                const sh = await databaseHostShell(target.host, undefined);
                return typeof sh === 'string' ? `${sh} (pgops fix --ssh can measure it from a terminal)` : sh;
              },
            },
          );
          if (signal.aborted) throw new PgOpsError('fix-cancelled', 'Checking was cancelled', 'Run Fix… again.');
          return r;
        },
      );
      return new FixPanel({
        extensionUri: s.context.extensionUri,
        session: ctx.session,
        prepared,
        endpoint,
        serverVersionNum: ctx.serverVersionNum,
        settings,
        reportsFolder: benchReportsFolder(s.context.globalStorageUri.fsPath),
        logger: s.logger,
        onChanged: refreshViews,
      });
    },
    'pgops.cleanupFixLeftovers': async () => {
      const ctx = health.context();
      if ('error' in ctx) throw new PgOpsError('diag-no-session', ctx.error, 'Connect a profile first.');
      const settings = fixSettings();
      const leftovers = await findLeftovers(ctx.client);
      if (leftovers.length === 0) {
        void vscode.window.showInformationMessage(
          `No leftovers of interrupted fixes in ${ctx.profile.name}'s database.`,
        );
        return { dropped: [], skipped: [] };
      }
      await requireWriteConfirmation(
        ctx.profile,
        `drop ${leftovers.length} leftover${leftovers.length === 1 ? '' : 's'} of interrupted fixes`,
        {
          detail: [...leftoversText(leftovers), '', cleanupScript(leftovers, settings.lockTimeoutS)].join('\n'),
        },
      );
      const { reopen } = await s.sessions.endpoint(ctx.profile, undefined);
      try {
        const r = await cleanUpLeftovers(reopen, leftovers, settings.lockTimeoutS);
        void vscode.window.showInformationMessage(
          `Dropped ${r.dropped.length} leftover${r.dropped.length === 1 ? '' : 's'}` +
            (r.skipped.length ? `; ${r.skipped.length} still in use (a repack or index build runs on the table)` : ''),
        );
        return r;
      } finally {
        refreshViews();
      }
    },
  } satisfies CommandGroup;
}
