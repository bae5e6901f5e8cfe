import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from 'pg';
import type { SessionSafety } from '../conn/session';
import { CancelledError } from '../errors';
import type { IterationResult, ProgressPoint, RunStatus, TopStatement, WaitEventSamples } from '../report';
import type { CommandLine } from './commandLine';
import { StatementsObserver, WaitObserver } from './iterationObservers';
import type { PgbenchSummary } from './pgbenchOutput';
import { parsePgbenchOutput, parseProgressLine } from './pgbenchOutput';
import type { BenchPlan } from './plan';
import type { ProcessResult } from './processRunner';
import { runProcess } from './processRunner';
import { latencyPercentilesFromLogs, transactionLogFiles } from './txLog';

export interface IterationParams {
  index: number;
  value: number;
  plan: BenchPlan;
  clients: number;
  durationS: number | null;
  command: CommandLine;
  env: NodeJS.ProcessEnv;
  /** Opens the observer session (wait events, top statements) on the target. */
  open: (safety: SessionSafety) => Promise<Client>;
  signal?: AbortSignal;
  /** file name prefix of the per-transaction log inside workDir */
  logPrefix?: string;
  workDir: string;
  keptLogsDir?: string;
  onProgress: (p: ProgressPoint) => void;
  /** environment notes of the report; observers add why they could not observe */
  notes: string[];
}

function note(notes: string[], text: string): void {
  if (!notes.includes(text)) notes.push(text);
}

/** The lines of pgbench's stderr that say what went wrong. */
function errorText(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    .filter((l) => /error|fatal|abort|could not|failed/i.test(l) && !l.startsWith('progress:'));
  return lines.length ? lines.slice(-3).join(' | ') : undefined;
}

async function openObserver(
  p: IterationParams,
): Promise<{ client?: Client; stmts?: StatementsObserver; waits?: WaitObserver }> {
  if (p.plan.topStatements === 0 && !p.plan.waits.enabled) return {};
  let client: Client;
  try {
    client = await p.open({
      applicationName: 'pgops bench (observer)',
      statementTimeoutMs: 10_000,
      lockTimeoutMs: 1000,
      readOnly: true,
    });
    // a server that goes away mid-iteration must not crash the run: pgbench's exit reports it
    client.on('error', (err) => note(p.notes, `iteration ${p.index}: observer session lost: ${err.message}`));
  } catch (err) {
    note(p.notes, `iteration ${p.index}: wait events and top statements not collected: ${(err as Error).message}`);
    return {};
  }
  let stmts: StatementsObserver | undefined;
  if (p.plan.topStatements > 0) {
    try {
      const created = await StatementsObserver.create(client, p.plan.topStatements);
      if (typeof created === 'string') note(p.notes, created);
      else {
        stmts = created;
        await stmts.begin();
      }
    } catch (err) {
      note(p.notes, `top statements not collected: ${(err as Error).message}`);
      stmts = undefined;
    }
  }
  const waits = p.plan.waits.enabled ? new WaitObserver(client, p.plan.waits.intervalMs) : undefined;
  return { client, stmts, waits };
}

export interface IterationOutcome {
  result: IterationResult;
  /** pgbench's summary exactly as printed, and everything parsed from it */
  stdout: string;
  summary: PgbenchSummary;
}

/** Runs one pgbench iteration with its observers; never throws for a pgbench failure (the result says so). */
export async function runIteration(p: IterationParams): Promise<IterationOutcome> {
  const observer = await openObserver(p);
  const series: ProgressPoint[] = [];
  let run: ProcessResult | undefined;
  let status: RunStatus = 'complete';
  let error: string | undefined;
  let waitEvents: WaitEventSamples[] | undefined;
  let topStatements: TopStatement[] | undefined;
  observer.waits?.start();
  try {
    run = await runProcess(p.command, {
      env: p.env,
      signal: p.signal,
      cwd: p.workDir,
      onStderrLine: (line) => {
        const point = parseProgressLine(line);
        if (!point) return;
        series.push(point);
        p.onProgress(point);
      },
    });
    if (run.exitCode !== 0) {
      status = 'failed';
      error = errorText(run.stderr) ?? `pgbench exited with ${run.exitCode ?? run.signal}`;
    }
  } catch (err) {
    if (!CancelledError.is(err)) throw err;
    status = 'interrupted';
    error = 'cancelled while running';
  } finally {
    waitEvents = await observer.waits?.stop();
    if (observer.waits?.error) note(p.notes, `iteration ${p.index}: wait sampling failed: ${observer.waits.error}`);
  }
  if (observer.stmts && status !== 'interrupted') {
    topStatements = await observer.stmts.end().catch((err: Error) => {
      note(p.notes, `iteration ${p.index}: top statements not collected: ${err.message}`);
      return undefined;
    });
  }
  await observer.client?.end().catch(() => undefined);
  const summary = parsePgbenchOutput(run?.stdout ?? '');
  const logs = p.logPrefix ? transactionLogFiles(p.workDir, p.logPrefix) : [];
  const pct =
    status === 'interrupted' ? undefined : await latencyPercentilesFromLogs(logs, p.plan.transactionLog.samplingRate);
  keepOrRemoveLogs(logs, p.keptLogsDir);
  const result: IterationResult = {
    index: p.index,
    value: p.value,
    clients: summary.clients ?? p.clients,
    threads: summary.threads,
    durationS: summary.durationS ?? p.durationS,
    status,
    ...(error ? { error } : {}),
    tps: summary.tps ?? null,
    latencyAvgMs: summary.latencyAvgMs ?? null,
    latencyStddevMs: summary.latencyStddevMs ?? null,
    initialConnectionMs: summary.initialConnectionTimeMs ?? null,
    processed: summary.processed ?? null,
    failed: summary.failed?.count ?? null,
    skipped: summary.skipped?.count ?? null,
    percentiles: pct
      ? {
          p50: pct.p50Ms,
          p90: pct.p90Ms,
          p95: pct.p95Ms,
          p99: pct.p99Ms,
          max: pct.maxMs,
          samples: pct.count,
          ci95: pct.ci95,
        }
      : null,
    ...(pct ? { latencyHistogram: pct.histogram } : {}),
    series,
    waitEvents,
    topStatements,
    commandLine: [p.command.program, ...p.command.args],
  };
  return { result, stdout: run?.stdout ?? '', summary };
}

function keepOrRemoveLogs(files: string[], keptLogsDir: string | undefined): void {
  for (const f of files) {
    if (keptLogsDir) {
      fs.mkdirSync(keptLogsDir, { recursive: true });
      fs.copyFileSync(f, path.join(keptLogsDir, path.basename(f)));
    }
    fs.rmSync(f, { force: true });
  }
}
