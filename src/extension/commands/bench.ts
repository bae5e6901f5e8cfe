import * as os from 'node:os';
import * as path from 'node:path';
import type { Client } from 'pg';
import * as vscode from 'vscode';
import { findPgbench, pgbenchVersionOf } from '../../core/bench/findPgbench';
import type { BenchPlan, PlanSource } from '../../core/bench/plan';
import { planFileSuffix, readPlanFile, validatePlan } from '../../core/bench/plan';
import { describePlanReview, needsConsent, reviewPlan, sweepServerChanges } from '../../core/bench/planReview';
import { liveRunDone, liveRunStart, liveRunUpdate } from '../../core/bench/liveRun';
import { runSweep } from '../../core/bench/sweep';
import { localRestarter } from '../../core/bench/serverRestart';
import { checkSweepSettings } from '../../core/bench/settingSweep';
import type { PlanSetting } from '../../core/bench/settingValues';
import { parseSetFlag } from '../../core/bench/settingValues';
import type { ConnectionProfile } from '../../core/conn/profile';
import type { ConnectionTarget, SessionSafety } from '../../core/conn/session';
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
        planInput && typeof planInput === 'object' ? { plan: validatePlan(planInput) } : await choosePlan(s, profile);
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

/** A row of pg_settings as the setting picker shows it. */
interface SettingRow {
  name: string;
  setting: string;
  context: string;
  short_desc: string;
}

/** Contexts pgops can sweep, with how it applies them (settingValues.ts decides; this only says it). */
const sweptHow: Record<string, string> = {
  user: 'benchmark sessions only (PGOPTIONS)',
  superuser: 'benchmark sessions only (PGOPTIONS)',
  backend: 'benchmark sessions only (PGOPTIONS)',
  'superuser-backend': 'benchmark sessions only (PGOPTIONS)',
  sighup: 'ALTER SYSTEM + reload, put back at the end',
  postmaster: 'ALTER SYSTEM + server restart, put back at the end',
};

/**
 * Optionally a server setting to sweep, picked from the server's pg_settings with its context and
 * how pgops would apply it, then its values and the runs of every cell. Undefined: no setting.
 */
async function chooseSetting(
  s: ExtensionServices,
  profile: ConnectionProfile,
): Promise<{ settings: PlanSetting[]; repeat: number } | undefined | 'cancelled'> {
  const rows = (
    await s.sessions.pool(profile).query<SettingRow>(
      `SELECT name, pg_catalog.current_setting(name) AS setting, context, short_desc FROM pg_catalog.pg_settings
          WHERE context = ANY($1::text[]) ORDER BY name`,
      [Object.keys(sweptHow)],
    )
  ).rows;
  const none: vscode.QuickPickItem & { row?: SettingRow } = {
    label: '$(circle-slash) No setting',
    description: 'sweep client counts only',
  };
  const pick = await vscode.window.showQuickPick<vscode.QuickPickItem & { row?: SettingRow }>(
    [
      none,
      ...rows.map((r) => ({
        label: r.name,
        description: `${r.setting} · ${r.context}: ${sweptHow[r.context]}`,
        detail: r.short_desc,
        row: r,
      })),
    ],
    { title: 'Run pgbench Sweep: sweep a server setting too?', matchOnDescription: true, matchOnDetail: true },
  );
  if (!pick) return 'cancelled';
  const row = pick.row;
  if (!row) return undefined;
  const values = await vscode.window.showInputBox({
    title: `Values of ${row.name} (now ${row.setting})`,
    prompt:
      'Comma-separated, as SET takes them (e.g. 4MB,64MB); each one is checked on the server before anything runs',
    value: row.setting,
    validateInput: (v) => {
      try {
        parseSetFlag(`${row.name}=${v}`, 'the values');
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
  });
  if (!values) return 'cancelled';
  const repeat = await vscode.window.showInputBox({
    title: 'Runs of every cell',
    prompt: 'Run every value of the setting × every client count this many times, interleaved (A B, B A, …)',
    value: '2',
    validateInput: (v) =>
      /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 100 ? undefined : 'An integer from 1 to 100',
  });
  if (!repeat) return 'cancelled';
  return { settings: [parseSetFlag(`${row.name}=${values}`)], repeat: Number(repeat) };
}

async function choosePlan(
  s: ExtensionServices,
  profile: ConnectionProfile,
): Promise<{ plan: BenchPlan; source?: PlanSource } | undefined> {
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
  const setting = await chooseSetting(s, profile);
  if (setting === 'cancelled') return undefined;
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return {
    plan: validatePlan({
      values: clients.split(',').map((c) => Number(c.trim())),
      durationS: Number(seconds),
      workloadPath: root,
      ...setting,
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

/**
 * The swept settings checked on the server before anything runs (the same refusals as the CLI's), a
 * postmaster setting only after the user agrees to the restarts. Returns whether restarts are allowed.
 */
async function checkSettings(
  plan: BenchPlan,
  target: ConnectionTarget,
  reopen: (safety: SessionSafety) => Promise<Client>,
): Promise<boolean> {
  const client = await reopen({
    applicationName: 'pgops bench (check)',
    statementTimeoutMs: 10_000,
    lockTimeoutMs: 1000,
    readOnly: true,
  });
  try {
    const names = (plan.settings ?? []).map((x) => x.name);
    const restarts = (
      await client.query<{ name: string }>(
        "SELECT name FROM pg_catalog.pg_settings WHERE name = ANY($1::text[]) AND context = 'postmaster'",
        [names],
      )
    ).rows.map((r) => r.name);
    let allowRestart = false;
    if (restarts.length) {
      const restart = 'Restart for Every Value';
      const answer = await vscode.window.showWarningMessage(
        `${restarts.join(', ')} take effect only when the server restarts. Restart ${target.host}:${target.port} for every value?`,
        {
          modal: true,
          detail:
            'pgops restarts it with pg_ctl (fast shutdown: open sessions are ended) before each cell and once more to put ' +
            'the setting back. Only a server on this machine whose data directory pgops can reach can be restarted.',
        },
        restart,
      );
      if (answer !== restart) throw new CancelledError(`the sweep of ${restarts.join(', ')}: not run`);
      allowRestart = true;
    }
    await checkSweepSettings(client, {
      settings: plan.settings ?? [],
      allowRestart,
      restarter: (c) => localRestarter(c, target.host, target.port),
      host: target.host,
      port: target.port,
    });
    return allowRestart;
  } finally {
    await client.end().catch(() => undefined);
  }
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
  const allowRestart = plan.settings?.length ? await checkSettings(plan, target, reopen) : false;
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
          allowRestart,
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
