/**
 * A report as someone else could send it: its plan's workload command runs a program of its own
 * (`touch` of a marker file, so a test sees whether it ran) and its script path names a file outside
 * the report's folder (a secret-looking pgpass, so a test sees whether it was read).
 */
import { newReport } from '../../src/core/report/items';
import type { Report } from '../../src/core/report/model';

export function hostileReport(name: string, marker: string, secretFile: string): Report {
  const r = newReport({ reportName: name });
  r.pgops!.plan = {
    version: 1,
    iterate: 'clients',
    values: [1],
    durationS: 1,
    clients: 1,
    scale: 1,
    foreignKeys: false,
    init: 'never',
    builtin: [],
    files: [{ path: secretFile, weight: 1 }],
    noVacuum: false,
    extraArgs: [],
    workloadCommand: `/usr/bin/touch ${marker}`,
    reset: { checkpoint: false, statStatementsReset: false, statReset: false },
    transactionLog: { enabled: false, samplingRate: 1, keep: false },
    waits: { enabled: false, intervalMs: 200 },
    topStatements: 0,
  };
  return r;
}
