/**
 * Seeds pgops' demo into the local sandbox, so every view shows something true on first open: pgbench
 * tables and a short real workload (Query Stats), a churned table (Bloat), a logical slot with pending
 * changes (Replication) and the sample report that workload produced (Benchmark Reports).
 * The CLI (`pgops sandbox start --demo`) and the extension (Start Local Sandbox) call this one function.
 */
import * as path from 'node:path';
import { validatePlan } from '../bench/plan';
import type { BenchPlan } from '../bench/plan';
import { reportFileAt, writeReportFiles } from '../report/files';
import { runSweep } from '../bench/sweep';
import type { ConnectionTarget } from '../conn/session';
import { openTargetSession } from '../conn/open';
import { PgOpsError } from '../errors';
import type { Logger } from '../log';
import { silentLogger } from '../log';
import {
  createChurnedTable,
  createDemoReplication,
  createDemoSchema,
  demoReportName,
  demoSchema,
  demoState,
  markDemoComplete,
  recordDemoFiles,
} from '../sandbox/demo';
import type { SandboxInfo, SandboxOptions } from '../sandbox/sandbox';
import { sandboxLayout } from '../sandbox/sandbox';

export interface DemoSeedOptions {
  sandbox: SandboxOptions;
  info: SandboxInfo;
  /** pgbench to run (findPgbench with the sandbox's bin directory) */
  pgbenchPath: string;
  /** the folder the Benchmark Reports view lists (or the CLI's reports folder) */
  reportsDir: string;
  logger?: Logger;
  signal?: AbortSignal;
  /** one line per step, for a progress notification or stderr */
  onStep?: (message: string) => void;
  toolVersion?: string;
}

export interface DemoSeedResult {
  /** false when the demo was already complete and nothing was done */
  seeded: boolean;
  reportFile?: string;
}

/** The short real run behind the sample report: pgbench's tpcb-like script at 1 and 2 clients, 2 s each. */
export function demoPlan(): BenchPlan {
  return validatePlan({
    version: 1,
    reportName: demoReportName,
    description:
      'Sample report of pgops demo data: a short tpcb-like run on the local sandbox, made when the demo was seeded.',
    iterate: 'clients',
    values: [1, 2],
    durationS: 2,
    scale: 1,
    init: 'once',
    builtin: [{ name: 'tpcb-like', weight: 1 }],
    searchPath: [demoSchema],
    reset: { checkpoint: false, statStatementsReset: false, statReset: false },
  });
}

export function sandboxTarget(info: SandboxInfo): ConnectionTarget {
  return { host: info.host, port: info.port, user: info.user, database: info.database };
}

/**
 * Adds the demo unless it is complete already (one catalog query then: a started sandbox stays quick).
 * A demo left partial by an earlier failure is made again; the slot and publication are kept, not doubled.
 */
export async function seedSandboxDemo(o: DemoSeedOptions): Promise<DemoSeedResult> {
  const log = o.logger ?? silentLogger;
  const step = (message: string): void => {
    log.info(`demo: ${message}`);
    o.onStep?.(message);
  };
  const target = sandboxTarget(o.info);
  const client = await openTargetSession(target, {
    applicationName: 'pgops demo',
    statementTimeoutMs: 120_000,
    lockTimeoutMs: 10_000,
    readOnly: false,
  });
  try {
    if ((await demoState(client)) === 'complete') return { seeded: false };
    step(`creating the labelled schema ${demoSchema}`);
    await createDemoSchema(client);
    step('churning a table for the Bloat view');
    await createChurnedTable(client);
    step('creating a logical replication slot with pending changes');
    await createDemoReplication(client);
    step('running pgbench for Query Stats and the sample report');
    const report = await runSweep({
      plan: demoPlan(),
      target,
      pgbenchPath: o.pgbenchPath,
      logger: log,
      signal: o.signal,
      toolVersion: o.toolVersion,
      onEvent: (e) => {
        if (e.type === 'iteration-start') step(`pgbench: ${e.value} client(s)`);
      },
    });
    const status = report.pgops?.status;
    if (status !== 'complete')
      throw new PgOpsError(
        'demo-seed',
        `The demo's pgbench run ${status ?? 'failed'}: ${report.pgops?.error?.message ?? 'no reason given'}`,
        `${report.pgops?.error?.hint ?? 'See the log.'} The demo is seeded again at the next start.`,
      );
    const paths = writeReportFiles(reportFileAt({ folder: o.reportsDir }, report.report_name), report);
    recordDemoFiles(path.dirname(sandboxLayout(o.sandbox).dataDir), [
      paths.json,
      ...(paths.htmlError ? [] : [paths.html]),
    ]);
    await markDemoComplete(client);
    step(`done; sample report ${paths.json}`);
    return { seeded: true, reportFile: paths.json };
  } finally {
    await client.end().catch(() => undefined);
  }
}
