/**
 * One pgbench sweep: environment before, one pgbench run per iteration value (with resets,
 * wait-event sampling, statement deltas, progress and latency percentiles), environment after,
 * and a report in pg_perfbench's structure. Cancel or failure keeps the finished iterations.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Client } from 'pg';
import { openTargetSession } from '../conn/open';
import type { ConnectionTarget, SessionSafety } from '../conn/session';
import { describeTarget } from '../conn/session';
import { requireStatements, resetStatements } from '../diag/statements';
import { CancelledError, describeError, PgOpsError, throwIfAborted } from '../errors';
import type { Logger } from '../log';
import { silentLogger } from '../log';
import type { IterationResult, JsonObject, ProgressPoint, Report, RunStatus } from '../report';
import { newReport, plainTextItem, redactReport, setItem } from '../report';
import type { PgbenchOutput } from './benchReport';
import {
  environmentChanges,
  fillBenchmarkSection,
  fillPgbenchDetails,
  fillResultSection,
  scrubSecret,
} from './benchReport';
import type { CommandLine } from './commandLine';
import { formatCommandLine, iterationValues, pgbenchOptions, placeholderBase, sweepCommands } from './commandLine';
import { collectDbFacts } from './dbFacts';
import { pgbenchVersionOf } from './findPgbench';
import type { HostShell, SshTarget } from './hostShell';
import { databaseHostShell } from './hostShell';
import { runIteration } from './iteration';
import type { BenchPlan } from './plan';
import { sweepSchedule } from './plan';
import { runProcess, withPgpass } from './processRunner';
import { fileTimestamp, reportFileBase } from '../report/files';
import { collectSystemFacts, systemSectionHeader } from './systemFacts';
import { transactionLogAdvice } from './txLog';
import { settingOption } from '../sql';
import type { SweepSettingsOptions } from './settingSweep';
import { repairInterruptedSweep, SweepSettings } from './settingSweep';
import { localRestarter } from './serverRestart';
import { cellLabel } from '../report/repeats';

export type SweepEvent =
  | { type: 'phase'; message: string }
  | { type: 'iteration-start'; index: number; value: number; total: number; commandLine: string }
  | { type: 'progress'; index: number; value: number; point: ProgressPoint }
  | { type: 'iteration-end'; index: number; result: IterationResult };

export interface SweepOptions {
  plan: BenchPlan;
  /** The endpoint pgbench runs against (with its password, when one is needed). */
  target: ConnectionTarget;
  /** Opens pgops' own sessions on that endpoint (facts, admin, observers): the session's reopen, else openTargetSession. */
  open?: SessionOpener;
  pgbenchPath: string;
  logger?: Logger;
  signal?: AbortSignal;
  /** how to reach the database host for system facts when it is not this machine */
  ssh?: SshTarget;
  onEvent?: (e: SweepEvent) => void;
  /** receives the report after every finished iteration, to write it (atomically); the caller writes the returned final one */
  checkpoint?: (report: Report) => void;
  /** folder that receives `<report_name>.logs/` when the plan keeps the per-transaction logs */
  keptLogsDir?: string;
  now?: () => Date;
  toolVersion?: string;
  /** lets a postmaster setting of the plan restart the server */
  allowRestart?: boolean;
  /** how pgops restarts this server (default: pg_ctl, for a server on this machine) */
  restarter?: SweepSettingsOptions['restarter'];
  /** where the undo file of server-wide setting changes lives (default: defaultUndoDir()) */
  undoDir?: string;
}

/** `$XDG_STATE_HOME/pgops` (else ~/.local/state/pgops): the undo files of interrupted setting sweeps. */
export function defaultUndoDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state'), 'pgops');
}

export function defaultReportName(d: Date): string {
  return `pgbench_${fileTimestamp(d)}`;
}

async function openHostShell(o: SweepOptions, notes: string[]): Promise<HostShell | undefined> {
  const sh = await databaseHostShell(o.target.host, o.ssh, notes);
  if (typeof sh !== 'string') return sh;
  notes.push(`system facts not collected: ${sh} (--ssh user@host)`);
  return undefined;
}

async function collectSystem(
  o: SweepOptions,
  notes: string[],
): Promise<ReturnType<typeof collectSystemFacts> | undefined> {
  let sh: HostShell | undefined;
  try {
    sh = await openHostShell(o, notes);
    return sh ? await collectSystemFacts(sh) : undefined;
  } catch (err) {
    notes.push(`system facts not collected: ${describeError(err)}`);
    return undefined;
  } finally {
    await sh?.close();
  }
}

async function collectDb(open: SessionOpener): Promise<Awaited<ReturnType<typeof collectDbFacts>> | string> {
  let client: Client | undefined;
  try {
    client = await open({
      applicationName: 'pgops bench (facts)',
      statementTimeoutMs: 30_000,
      lockTimeoutMs: 1000,
      readOnly: true,
    });
    client.on('error', () => undefined); // the failing query reports it
    return await collectDbFacts(client);
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client?.end().catch(() => undefined);
  }
}

/** Opens a session on the sweep's endpoint with the given safety settings. */
export type SessionOpener = (safety: SessionSafety) => Promise<Client>;

export async function runSweep(o: SweepOptions): Promise<Report> {
  const log = o.logger ?? silentLogger;
  const now = o.now ?? (() => new Date());
  const { plan, target } = o;
  const open = o.open ?? ((safety: SessionSafety) => openTargetSession(target, safety));
  const started = now();
  const iterName = plan.iterate === 'clients' ? 'pgbench_clients' : 'pgbench_time';
  const report = newReport({
    reportName: plan.reportName ?? defaultReportName(started),
    startedAt: started,
    iterName,
    toolVersion: o.toolVersion,
  });
  const pgops = report.pgops!;
  pgops.plan = JSON.parse(JSON.stringify(plan)) as JsonObject;
  const notes = pgops.environmentNotes;
  const emit = (e: SweepEvent) => {
    try {
      o.onEvent?.(e);
    } catch (err) {
      log.warn(`progress listener failed: ${(err as Error).message}`);
    }
  };
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-bench-'));
  const base = placeholderBase(plan, o.pgbenchPath, target);
  const pgbenchVersion = pgbenchVersionOf(o.pgbenchPath);
  const { init, initPerIteration, workload: commands } = sweepCommands(plan, base, pgbenchVersion);
  const schedule = sweepSchedule(plan);
  let status: RunStatus = 'complete';
  let failure: PgOpsError | Error | undefined;
  const resets: string[] = [];
  let settingsLog: string[] = [];
  const outputs: PgbenchOutput[] = [];
  let dbBefore: Awaited<ReturnType<typeof collectDb>> | undefined;
  let systemBefore: Awaited<ReturnType<typeof collectSystem>>;

  const finish = (final: boolean): Report => {
    fillResultSection(report, pgops.iterations, iterName);
    fillPgbenchDetails(report, outputs);
    if (plan.settings?.length)
      setItem(
        report,
        'benchmark',
        'setting_sweep',
        plainTextItem(
          'Swept server settings | how each value was applied, and the restore',
          settingsLog.join('\n') || 'not applied',
          {
            command: { python_command: 'setting_sweep' },
          },
        ),
      );
    setItem(
      report,
      'benchmark',
      'iteration_resets',
      plainTextItem('Per-iteration resets', resets.join('\n') || 'none', {
        command: { python_command: 'iteration_resets' },
      }),
    );
    const end = now();
    pgops.timings.finishedAt = end.toISOString();
    pgops.timings.durationMs = end.getTime() - started.getTime();
    pgops.status = final ? status : 'interrupted';
    if (final && failure)
      pgops.error = {
        message: failure.message,
        ...(PgOpsError.is(failure) && failure.hint ? { hint: failure.hint } : {}),
      };
    else if (!final)
      pgops.error = {
        message: 'the run had not finished when this report was written (it is rewritten after every iteration)',
      };
    else delete pgops.error;
    return redactReport(scrubSecret(report, target.password));
  };
  const checkpoint = () => {
    try {
      o.checkpoint?.(finish(false));
    } catch (err) {
      log.warn(`cannot write the intermediate report: ${(err as Error).message}`);
    }
  };

  try {
    await withPgpass(target, async (env) => {
      env.PGAPPNAME = 'pgbench (pgops)';
      const pgbenchStartup = pgbenchOptions(env.PGOPTIONS, plan);
      env.PGOPTIONS = pgbenchStartup;
      emit({ type: 'phase', message: 'collecting the environment' });
      const system = await collectSystem(o, notes);
      systemBefore = system;
      if (system) {
        report.sections.system.header = systemSectionHeader(system);
        for (const [k, item] of Object.entries(system)) setItem(report, 'system', k, item);
      }
      dbBefore = await collectDb(open);
      if (typeof dbBefore === 'string')
        throw new PgOpsError(
          'bench-connect',
          `Cannot collect database facts from ${describeTarget(target)}: ${dbBefore}`,
          'Check the connection (--conn) and that the server runs.',
        );
      for (const [k, item] of Object.entries(dbBefore)) setItem(report, 'db', k, item);
      const version = dbBefore.full_version?.data;
      const minor = dbBefore.version_minor?.data;
      if (typeof version === 'string' && !version.startsWith('Error')) {
        pgops.server = {
          version,
          major: Number(version.match(/PostgreSQL (\d+)/)?.[1] ?? 0),
          minor: typeof minor === 'string' ? minor : undefined,
          host: target.host,
          port: target.port,
        };
      }
      fillBenchmarkSection(report, {
        plan,
        pgbenchPath: o.pgbenchPath,
        pgbenchVersion,
        endpoint: describeTarget(target),
        initCommandLine: init ? formatCommandLine(init) : undefined,
        initWords: init ? [init.program, ...init.args] : undefined,
        workloadCommandLines: commands.map(formatCommandLine),
        workloadWords: commands[0] ? [commands[0].program, ...commands[0].args] : [],
      });
      const openAdmin = async () => {
        const c = await open({
          applicationName: 'pgops bench',
          statementTimeoutMs: 0,
          lockTimeoutMs: 0,
          readOnly: false,
        });
        // an idle session whose server goes away emits 'error'; the iteration reports the failure instead
        c.on('error', (err) => log.warn(`bench admin session: ${err.message}`));
        return c;
      };
      let admin = await openAdmin();
      let settings: SweepSettings | undefined;
      const where = { open, undoDir: o.undoDir ?? defaultUndoDir(), host: target.host, port: target.port, notes };
      try {
        await repairInterruptedSweep(where);
        if (plan.settings?.length) {
          emit({
            type: 'phase',
            message: `checking the swept settings: ${plan.settings.map((x) => x.name).join(', ')}`,
          });
          settings = await SweepSettings.begin({
            ...where,
            settings: plan.settings,
            allowRestart: o.allowRestart ?? false,
            restarter: o.restarter ?? ((c) => localRestarter(c, target.host, target.port)),
          });
        }
        if (plan.init === 'once' && init) {
          emit({ type: 'phase', message: `initialising: ${formatCommandLine(init)}` });
          await runChecked(init, env, o.signal, 'init command');
        }
        for (const [i, { value, repeat, cell }] of schedule.entries()) {
          throwIfAborted(o.signal);
          const v = iterationValues(plan, value, base);
          let shown: Record<string, string> | undefined;
          if (settings) {
            emit({ type: 'phase', message: `iteration ${i}: settings ${cellLabel(cell)}` });
            const applied = await settings.apply(cell, o.signal);
            throwIfAborted(o.signal);
            if (applied.restarted) {
              await admin.end().catch(() => undefined);
              admin = await openAdmin();
            }
            shown = applied.shown;
            env.PGOPTIONS = [pgbenchStartup, ...settings.startup(cell).map(([k, x]) => settingOption(k, x))].join(' ');
          }
          if (initPerIteration[i]) {
            emit({ type: 'phase', message: `iteration ${i}: re-initialising` });
            await runChecked(initPerIteration[i], env, o.signal, 'init command');
          }
          resets.push(`iteration ${i}: ${await resetBefore(admin, plan)}`);
          emit({
            type: 'iteration-start',
            index: i,
            value,
            total: schedule.length,
            commandLine: formatCommandLine(commands[i]),
          });
          const { result, stdout, summary } = await runIteration({
            index: i,
            value,
            plan,
            clients: v.clients,
            durationS: v.durationS ?? null,
            command: commands[i],
            env,
            open,
            signal: o.signal,
            logPrefix: plan.transactionLog.enabled ? `it${i}` : undefined,
            workDir,
            keptLogsDir:
              plan.transactionLog.keep && o.keptLogsDir
                ? path.join(o.keptLogsDir, `${reportFileBase(report.report_name)}.logs`)
                : undefined,
            onProgress: (point) => emit({ type: 'progress', index: i, value, point }),
            notes,
          });
          if ((plan.repeat ?? 1) > 1) result.repeat = repeat;
          if (shown) result.settings = shown;
          pgops.iterations.push(result);
          outputs.push({ index: i, stdout, summary });
          emit({ type: 'iteration-end', index: i, result });
          if (result.status === 'failed') {
            status = 'failed';
            failure = new PgOpsError(
              'bench-iteration',
              `Iteration ${i} (${iterName} ${value}) failed: ${result.error ?? 'pgbench failed'}`,
              'See the pgbench error in the report; the finished iterations are kept.',
            );
            break;
          }
          if (result.status === 'interrupted') throw new CancelledError();
          checkpoint();
        }
      } finally {
        await admin.end().catch(() => undefined);
        if (settings) {
          emit({ type: 'phase', message: 'restoring the swept settings' });
          settingsLog = await settings.restore();
          for (const line of settingsLog.filter((l) => /NOT restored|but /.test(l))) notes.push(line);
        }
      }
    });
  } catch (err) {
    if (CancelledError.is(err) || o.signal?.aborted) {
      status = 'interrupted';
      failure = new PgOpsError(
        'bench-cancelled',
        'The run was cancelled',
        'The finished iterations are kept in the report.',
      );
    } else {
      status = 'failed';
      failure = err as Error;
    }
    log.warn(`bench: ${failure.message}`);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  if (dbBefore && typeof dbBefore !== 'string') {
    emit({ type: 'phase', message: 'collecting the environment after the sweep' });
    const lines: string[] = [];
    const compare = (
      what: string,
      before: Parameters<typeof environmentChanges>[0],
      after: Parameters<typeof environmentChanges>[1] | string,
    ) => {
      const changed = typeof after === 'string' ? [] : environmentChanges(before, after);
      const text =
        typeof after === 'string'
          ? `not collected after the sweep: ${after}`
          : changed.length
            ? `changed during the sweep: ${changed.join(', ')}`
            : 'unchanged during the sweep';
      notes.push(`${what} ${text}`);
      lines.push(`${what} ${text}`);
    };
    compare('database facts', dbBefore, await collectDb(open));
    if (systemBefore)
      compare('system facts', systemBefore, (await collectSystem(o, [])) ?? 'the database host could not be reached');
    setItem(
      report,
      'benchmark',
      'environment_changes',
      plainTextItem('Environment after the sweep (compared with before)', `${lines.join('\n')}\n`, {
        command: { python_command: 'environment_changes' },
      }),
    );
  }
  const advice = transactionLogAdvice(pgops.iterations, plan.transactionLog.samplingRate);
  if (advice) notes.push(advice);
  return finish(true);
}

async function runChecked(
  cmd: CommandLine,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
  what: string,
): Promise<void> {
  const r = await runProcess(cmd, { env, signal });
  if (r.exitCode !== 0) {
    const tail = r.stderr.trim().split('\n').slice(-3).join(' ');
    throw new PgOpsError(
      'bench-init',
      `The ${what} failed (exit ${r.exitCode ?? r.signal}): ${tail}`,
      `Run it by hand to see why: ${formatCommandLine(cmd)}`,
    );
  }
}

/** The plan's per-iteration resets; each one that fails is recorded, not fatal. */
async function resetBefore(admin: Client, plan: BenchPlan): Promise<string> {
  const done: string[] = [];
  const attempt = async (label: string, run: () => Promise<unknown>) => {
    try {
      await run();
      done.push(`${label} done`);
    } catch (err) {
      done.push(`${label} failed: ${(err as Error).message}`);
    }
  };
  if (plan.reset.checkpoint) await attempt('CHECKPOINT', () => admin.query('CHECKPOINT'));
  // the extension's own function, in the schema it is installed in
  if (plan.reset.statStatementsReset)
    await attempt('pg_stat_statements_reset()', async () => resetStatements(admin, await requireStatements(admin)));
  if (plan.reset.statReset) await attempt('pg_stat_reset()', () => admin.query('SELECT pg_stat_reset()'));
  return done.join('; ') || 'none';
}
