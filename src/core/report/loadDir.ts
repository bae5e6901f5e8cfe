/**
 * The reports of an input directory for a join: every `*.json` (ours are `*.pgperf.json`) in name
 * order, except run plans, join task files, JSON that is not a report at all, and earlier join
 * results. A file that looks like a report but is broken is an error, not silently dropped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PgOpsError } from '../errors';
import type { JoinInput } from './join';
import { parseReportText, readReportText } from './read';

export interface LoadedDir {
  inputs: JoinInput[];
  /** Files left out, with the reason. */
  skipped: Array<{ file: string; reason: string }>;
}

export function isJoinedReport(value: { header?: unknown; pgops?: { join?: unknown } }): boolean {
  return (
    !!value.pgops?.join || (typeof value.header === 'string' && value.header.startsWith('Result of joined reports'))
  );
}

export function loadReportsFromDir(dir: string): LoadedDir {
  let names: string[];
  try {
    names = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => !d.isDirectory() && d.name.toLowerCase().endsWith('.json'))
      .map((d) => d.name)
      .sort();
  } catch (err) {
    throw new PgOpsError(
      'join.inputDir',
      `cannot read the input directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'Pass the folder that holds the reports.',
    );
  }
  const inputs: JoinInput[] = [];
  const skipped: LoadedDir['skipped'] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (name.endsWith('.pgbench-plan.json')) {
      skipped.push({ file, reason: 'a run plan' });
      continue;
    }
    const text = readReportText(file);
    let probe: unknown;
    try {
      probe = JSON.parse(text);
    } catch {
      probe = undefined;
    }
    const looksLikeReport = typeof probe === 'object' && probe !== null && 'sections' in probe;
    if (!looksLikeReport && !name.endsWith('.pgperf.json')) {
      skipped.push({ file, reason: 'not a report' });
      continue;
    }
    const report = parseReportText(text, file);
    if (isJoinedReport(report)) {
      skipped.push({ file, reason: 'an earlier join result' });
      continue;
    }
    inputs.push({ file, report });
  }
  if (inputs.length === 0)
    throw new PgOpsError(
      'join.inputDir',
      `no reports in ${dir}`,
      'Put *.pgperf.json or pg_perfbench .json reports into the folder.',
    );
  return { inputs, skipped };
}
