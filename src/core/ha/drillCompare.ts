import { PgOpsError } from '../errors';
import type { DrillBlock, Report } from '../report/model';

/** Two drills side by side: the measures an outage is judged by, and what changed between them. */
export interface DrillComparison {
  a: { name: string; event: string; method: string; scope?: string };
  b: { name: string; event: string; method: string; scope?: string };
  /** measure → A, B and B − A (null where either side did not measure it) */
  measures: Array<{ name: string; a: number | null; b: number | null; change: number | null }>;
  summary: string[];
}

const measureOf: Array<[string, (d: DrillBlock) => number | undefined]> = [
  ['writeGapMs', (d) => d.writeGapMs],
  ['reconnectMs', (d) => d.reconnectMs],
  ['settledMs', (d) => d.settledMs],
  ['acknowledged', (d) => d.acknowledged],
  ['lost', (d) => d.lost],
  ['failed', (d) => d.failed],
  ['failedConnects', (d) => d.failedConnects],
];

/** The drill block of a report, or an error naming the file when it holds none. */
export function drillOf(r: Report, file: string): DrillBlock {
  const d = r.pgops?.drill;
  if (!d)
    throw new PgOpsError(
      'compare-drill',
      `${file} is not a drill report (no pgops.drill block)`,
      'Compare two reports of pgops drill, or two benchmark reports.',
    );
  return d;
}

export function compareDrills(ra: Report, rb: Report, files: { a: string; b: string }): DrillComparison {
  const [a, b] = [drillOf(ra, files.a), drillOf(rb, files.b)];
  const measures = measureOf.map(([name, get]) => {
    const [x, y] = [get(a) ?? null, get(b) ?? null];
    return { name, a: x, b: y, change: x === null || y === null ? null : y - x };
  });
  const s = (ms: number | undefined) => (ms === undefined ? '?' : `${(ms / 1000).toFixed(2)} s`);
  const summary = [`Write gap ${s(a.writeGapMs)} → ${s(b.writeGapMs)}; lost writes ${a.lost} → ${b.lost}.`];
  if (a.event !== b.event || a.method !== b.method)
    summary.push(`The drills differ in kind: ${a.event} (${a.method}) against ${b.event} (${b.method}).`);
  if (a.synchronousMode !== b.synchronousMode)
    summary.push(
      `synchronous_mode was ${a.synchronousMode ? 'on' : 'off'} in A and ${b.synchronousMode ? 'on' : 'off'} in B.`,
    );
  if (a.intervalMs !== b.intervalMs)
    summary.push(`The writer wrote every ${a.intervalMs} ms in A and ${b.intervalMs} ms in B.`);
  const side = (r: Report, d: DrillBlock) => ({
    name: r.report_name,
    event: d.event,
    method: d.method,
    scope: d.scope,
  });
  return { a: side(ra, a), b: side(rb, b), measures, summary };
}
