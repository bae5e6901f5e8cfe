import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findPgbench, pgbenchVersionOf } from '../../core/bench/findPgbench';
import type { BenchPlan, PlanSource } from '../../core/bench/plan';
import { planFileSuffix, readPlanFile, validatePlan } from '../../core/bench/plan';
import { describePlanReview, needsConsent, reviewPlan, sweepServerChanges } from '../../core/bench/planReview';
import { liveRunDone, liveRunStart, liveRunUpdate } from '../../core/bench/liveRun';
import { runSweep } from '../../core/bench/sweep';
import type { ConnectionProfile } from '../../core/conn/profile';
import type { ConnectionTarget } from '../../core/conn/session';
import { CancelledError } from '../../core/errors';
import { reportFileAt, writeReportFiles } from '../../core/report/files';
import { toolVersion } from '../../core/version';
import { requireWriteConfirmation } from '../confirm';
import type { ExtensionServices } from '../context';
import { LiveRunPanel } from '../panels/liveRunPanel';
import { benchReportsFolder, config } from '../settings';
import { toAbortSignal } from '../ui';
import { pickProfile } from '../profilePicker';
import type { CommandGroup } from './index';

/**
 * *Run pgbench Sweep*, *Re-run this Report* and *Cancel pgbench Sweep*: the adapter around core's
 * runSweep. Run takes an optional plan (an object with BenchPlan fields) after the connection, for
 * keybindings and tests; without one it asks.
 */
export function benchCommands(s: ExtensionServices) {
  return {
    'pgops.runBenchSweep': async (node?: unknown, planInput?: unknown) => {
      const profile = await pickProfile(s, node, 'Run pgbench Sweep');
      if (!profile) return undefined;
      // a plan object (keybindings, tests) was given by the caller, like the CLI's flags: only a plan file may need consent
      const chosen =
        planInput && typeof planInput === 'object' ? { plan: validatePlan(planInput) } : await choosePlan();
      return chosen ? runBench(s, profile, chosen.plan, chosen.source) : undefined;
    },
    'pgops.cancelBenchSweep': () => {
      if (!s.benchRuns.cancel()) void vscode.window.showInformationMessage('No pgbench sweep is running.');
    },
    'pgops.rerunBenchReport': async (uri?: unknown) => {
      const file =
        uri instanceof vscode.Uri
          ? uri
          : (
              await vscode.window.showOpenDialog({
                title: 'Report to re-run',
                filters: { 'pgops reports': ['json'] },
                canSelectMany: false,
              })
            )?.[0];
      if (!file) return undefined;
      const { plan, source } = readPlanFile(file.fsPath);
      const profile = await pickProfile(s, undefined, 'Re-run this Report');
      return profile ? runBench(s, profile, plan, source) : undefined;
    },
  } satisfies CommandGroup;
}

async function choosePlan(): Promise<{ plan: BenchPlan; source?: PlanSource } | undefined> {
  const files = await vscode.workspace.findFiles(`**/*${planFileSuffix}`, '**/node_modules/**', 50);
  const picks: Array<vscode.QuickPickItem & { file?: vscode.Uri }> = [
    { label: '$(edit) Clients and duration…', description: 'e.g. 1,4,8 clients × 10 s, builtin tpcb-like' },
    ...files.map((f) => ({ label: `$(file) ${vscode.workspace.asRelativePath(f)}`, description: 'run plan', file: f })),
  ];
  const pick = await vscode.window.showQuickPick(picks, { title: 'Run pgbench Sweep: plan' });
  if (!pick) return undefined;
  if (pick.file) return readPlanFile(pick.file.fsPath);
  const clients = await vscode.window.showInputBox({
    title: 'Client counts',
    value: '1,4,8',
    validateInput: (v) => (/^\s*\d+(\s*,\s*\d+)*\s*$/.test(v) ? undefined : 'Comma-separated positive integers'),
  });
  if (!clients) return undefined;
  const seconds = await vscode.window.showInputBox({
    title: 'Seconds per iteration',
    value: '10',
    validateInput: (v) => (/^\d+$/.test(v) && Number(v) > 0 ? undefined : 'A positive integer'),
  });
  if (!seconds) return undefined;
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return {
    plan: validatePlan({
      values: clients.split(',').map((c) => Number(c.trim())),
      durationS: Number(seconds),
      workloadPath: root,
    }),
  };
}

/**
 * A plan read from a file that needs consent (planReview.ts states the rule) runs only after the user
 * has seen its exact commands and files and said Run; Cancel runs nothing and reads none of its scripts.
 */
async function requirePlanConsent(
  plan: BenchPlan,
  source: PlanSource,
  pgbenchPath: string,
  target: ConnectionTarget,
): Promise<void> {
  const review = reviewPlan(plan, source, { path: pgbenchPath, version: pgbenchVersionOf(pgbenchPath) }, target);
  if (!needsConsent(review)) return;
  const run = 'Run';
  const answer = await vscode.window.showWarningMessage(
    `Run the plan of ${path.basename(source.file)}?`,
    { modal: true, detail: `It needs your consent: ${review.reasons.join('; ')}.\n\n${describePlanReview(review)}` },
    run,
  );
  if (answer !== run) throw new CancelledError(`the plan of ${source.file}: not run`);
}

async function runBench(
  s: ExtensionServices,
  profile: ConnectionProfile,
  plan: BenchPlan,
  source?: PlanSource,
): Promise<string | undefined> {
  s.benchRuns.requireIdle();
  // every sweep changes its server (init, the workload, CHECKPOINT, stats resets): production profiles need their name typed
  await requireWriteConfirmation(profile, 'run a pgbench sweep', {
    onlyProduction: true,
    detail: sweepServerChanges(plan).join('; '),
  });
  const pgbench = findPgbench({ setting: config().get<string>('pgbenchPath') || undefined });
  const outDir = benchReportsFolder(s.context.globalStorageUri.fsPath);
  // the host target_session_attrs picks, with the profile's password (Secret Storage, command or pgpass)
  const { target, reopen } = await s.sessions.benchEndpoint(profile);
  if (source) await requirePlanConsent(plan, source, pgbench.path, target);
  const live = new LiveRunPanel(s.context.extensionUri, `pgbench: ${profile.name}`);
  live.post(liveRunStart(plan, profile.name));
  // claimed right before the try whose finally gives it back
  const abort = s.benchRuns.begin();
  try {
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `pgbench sweep on ${profile.name}`, cancellable: true },
      (progress, token) =>
        runSweep({
          plan,
          target,
          open: reopen,
          pgbenchPath: pgbench.path,
          signal: AbortSignal.any([abort.signal, toAbortSignal(token)]),
          logger: s.logger,
          keptLogsDir: outDir,
          toolVersion,
          checkpoint: (r) => {
            writeReportFiles(reportFileAt({ folder: outDir }, r.report_name), r);
          },
          onEvent: (e) => {
            const update = liveRunUpdate(e, plan);
            if (update.progress) progress.report(update.progress);
            live.post(update.message);
          },
        }),
    );
    const paths = writeReportFiles(reportFileAt({ folder: outDir }, report.report_name), report);
    const done = liveRunDone({ report });
    live.post(done);
    const { status, message } = done;
    s.logger.info(
      `pgbench sweep on ${profile.name}: ${status}; report ${paths.json}${paths.htmlError ? ` (HTML not written: ${paths.htmlError})` : ''}`,
    );
    if ((await vscode.commands.getCommands(true)).includes('pgops.refreshReports'))
      await vscode.commands.executeCommand('pgops.refreshReports');
    const open = 'Open HTML Report';
    const show = status === 'complete' ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
    void show(
      `pgbench sweep ${status}: ${message}. Report: ${vscode.workspace.asRelativePath(paths.json)}`.replace(
        os.homedir(),
        '~',
      ),
      open,
    ).then((c) => {
      if (c === open) void vscode.env.openExternal(vscode.Uri.file(paths.html));
    });
    return paths.json;
  } catch (err) {
    live.post(liveRunDone({ error: err }));
    throw err;
  } finally {
    s.benchRuns.finish(abort);
  }
}
