import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findPgbench, pgbenchVersionOf } from '../../core/bench/findPgbench';
import type { BenchPlan, PlanSource } from '../../core/bench/plan';
import { planFileSuffix, readPlanFile, validatePlan } from '../../core/bench/plan';
import { describePlanReview, needsConsent, reviewPlan, sweepServerChanges } from '../../core/bench/planReview';
import { writeBenchReport } from '../../core/bench/reportFiles';
import { runSweep } from '../../core/bench/sweep';
import type { ConnectionProfile } from '../../core/conn/profile';
import type { ConnectionTarget } from '../../core/conn/session';
import { CancelledError, PgOpsError } from '../../core/errors';
import { requireWriteConfirmation } from '../confirm';
import type { ExtensionServices } from '../context';
import { LiveRunPanel } from '../panels/liveRunPanel';
import { benchReportsFolder, config } from '../settings';
import { toAbortSignal } from '../ui';
import { ProfileNode } from '../views/connectionsView';
import type { CommandGroup } from './index';

/** The running sweep, so *Cancel pgbench Sweep* can stop it like the notification's Cancel button. */
let running: AbortController | undefined;

/**
 * *Run pgbench Sweep*, *Re-run this Report* and *Cancel pgbench Sweep*: the adapter around core's
 * runSweep. Run takes an optional plan (an object with BenchPlan fields) after the connection, for
 * keybindings and tests; without one it asks.
 */
export function benchCommands(s: ExtensionServices) {
  return {
    'pgops.runBenchSweep': async (node?: unknown, planInput?: unknown) => {
      const profile = await chooseProfile(s, node);
      if (!profile) return undefined;
      // a plan object (keybindings, tests) was given by the caller, like the CLI's flags: only a plan file may need consent
      const chosen =
        planInput && typeof planInput === 'object'
          ? { plan: validatePlan(planInput as Partial<BenchPlan>) }
          : await choosePlan();
      return chosen ? runBench(s, profile, chosen.plan, chosen.source) : undefined;
    },
    'pgops.cancelBenchSweep': () => {
      if (!running) void vscode.window.showInformationMessage('No pgbench sweep is running.');
      running?.abort();
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
      const profile = await chooseProfile(s, undefined);
      return profile ? runBench(s, profile, plan, source) : undefined;
    },
  } satisfies CommandGroup;
}

async function chooseProfile(s: ExtensionServices, node: unknown): Promise<ConnectionProfile | undefined> {
  if (node instanceof ProfileNode) return node.profile;
  if (typeof node === 'string') return s.profiles.get(node);
  const items = s.profiles
    .all()
    .map((p) => ({ label: p.name, description: p.production ? 'production' : undefined, profile: p }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage('No connection profiles yet: add one or start the local sandbox.');
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { title: 'Run pgbench Sweep: connection' }))?.profile;
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
  if (running)
    throw new PgOpsError(
      'bench-busy',
      'A pgbench sweep is already running',
      'Wait for it to finish or run Postgres Ops: Cancel pgbench Sweep.',
    );
  // every sweep changes its server (init, the workload, CHECKPOINT, stats resets): production profiles need their name typed
  await requireWriteConfirmation(profile, 'run a pgbench sweep', {
    onlyProduction: true,
    detail: sweepServerChanges(plan).join('; '),
  });
  const pgbench = findPgbench({ setting: config().get<string>('pgbenchPath') || undefined });
  const outDir = benchReportsFolder(s.context.globalStorageUri.fsPath);
  // the host target_session_attrs picks, with the profile's password (Secret Storage, command or pgpass)
  const target = await s.sessions.target(profile);
  if (source) await requirePlanConsent(plan, source, pgbench.path, target);
  const live = new LiveRunPanel(s.context.extensionUri, `pgbench: ${profile.name}`);
  const iterName = plan.iterate === 'clients' ? 'pgbench_clients' : 'pgbench_time';
  live.post({ type: 'start', title: `pgbench sweep on ${profile.name}`, iterName, values: plan.values });
  const abort = new AbortController();
  running = abort;
  void vscode.commands.executeCommand('setContext', 'pgops.benchRunning', true);
  try {
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `pgbench sweep on ${profile.name}`, cancellable: true },
      (progress, token) =>
        runSweep({
          plan,
          target,
          pgbenchPath: pgbench.path,
          signal: AbortSignal.any([abort.signal, toAbortSignal(token)]),
          logger: s.logger,
          keptLogsDir: outDir,
          toolVersion: String(s.context.extension.packageJSON.version ?? ''),
          checkpoint: (r) => {
            writeBenchReport(outDir, r);
          },
          onEvent: (e) => {
            if (e.type === 'phase') {
              progress.report({ message: e.message });
              live.post(e);
            } else if (e.type === 'iteration-start') {
              progress.report({
                message: `iteration ${e.index + 1}/${e.total}: ${iterName.replace('pgbench_', '')} ${e.value}`,
                increment: 100 / (e.total + 1),
              });
              live.post({ type: 'iteration-start', index: e.index, value: e.value, commandLine: e.commandLine });
            } else if (e.type === 'progress') {
              live.post({
                type: 'progress',
                index: e.index,
                point: { t: e.point.t, tps: e.point.tps, latencyMs: e.point.latencyMs },
              });
            } else {
              const r = e.result;
              live.post({
                type: 'iteration-end',
                summary: {
                  index: r.index,
                  value: r.value,
                  status: r.status,
                  tps: r.tps,
                  latencyAvgMs: r.latencyAvgMs,
                  p95Ms: r.percentiles?.p95 ?? null,
                },
              });
            }
          },
        }),
    );
    const paths = writeBenchReport(outDir, report);
    const status = report.pgops?.status ?? 'failed';
    const message = report.pgops?.error?.message ?? `${report.pgops?.iterations.length ?? 0} iterations`;
    live.post({ type: 'done', status, message });
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
    live.post({ type: 'done', status: 'failed', message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    running = undefined;
    void vscode.commands.executeCommand('setContext', 'pgops.benchRunning', false);
  }
}
