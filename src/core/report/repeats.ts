/** The runs of one sweep value taken together: their count, mean, spread and 95% interval. */
import { cellLabel } from '../../protocol/report';
import type { IterationResult } from './model';
import type { SampleSummary } from './stats';
import { rounded, summarize } from './stats';

/** An iteration that finished and has a throughput: the only kind a summary or a comparison counts. */
export const isMeasured = (it: IterationResult): boolean => it.status === 'complete' && it.tps !== null;

// the viewer labels cells the same way (it may import src/protocol, not core's code)
export { cellLabel };

/** The values with at least one measured iteration, ascending. */
export function measuredValues(iterations: IterationResult[]): number[] {
  return [...new Set(iterations.filter(isMeasured).map((it) => it.value))].sort((x, y) => x - y);
}

export interface ValueSummary {
  /** the cell's swept settings (absent without a settings sweep) */
  settings?: Record<string, string>;
  value: number;
  tps: SampleSummary;
  latencyAvgMs: SampleSummary | null;
}

/**
 * One summary per value (per cell and value in a settings sweep), in the order they first ran; only
 * complete iterations count.
 */
export function valueSummaries(iterations: IterationResult[]): ValueSummary[] {
  const byCell = new Map<string, IterationResult[]>();
  for (const it of iterations.filter(isMeasured)) {
    const key = `${cellLabel(it.settings)}\u0000${it.value}`;
    byCell.set(key, [...(byCell.get(key) ?? []), it]);
  }
  return [...byCell.values()].map((its) => {
    const lat = its.map((it) => it.latencyAvgMs).filter((x): x is number => x !== null);
    return {
      ...(its[0].settings ? { settings: its[0].settings } : {}),
      value: its[0].value,
      tps: summarize(its.map((it) => it.tps as number)),
      latencyAvgMs: lat.length ? summarize(lat) : null,
    };
  });
}

/** Whether any value ran more than once. */
export function hasRepeats(iterations: IterationResult[]): boolean {
  return valueSummaries(iterations).some((s) => s.tps.n > 1);
}

const valueSummaryHeader = ['value', 'runs', 'tps mean', 'tps 95% ±', 'tps stddev', 'latency avg ms', 'latency 95% ±'];

/** The per-value summary as a table, for the report and the terminal alike (a settings column leads in a settings sweep). */
export function valueSummaryTable(iterations: IterationResult[]): {
  header: string[];
  rows: Array<Array<number | string | null>>;
} {
  const summaries = valueSummaries(iterations);
  const withSettings = summaries.some((v) => v.settings);
  const header = withSettings ? ['settings', ...valueSummaryHeader] : valueSummaryHeader;
  const rows = summaries.map((v) => {
    const row = [
      v.value,
      v.tps.n,
      rounded(v.tps.mean, 3),
      rounded(v.tps.ci95, 3),
      rounded(v.tps.sd, 3),
      rounded(v.latencyAvgMs?.mean, 3),
      rounded(v.latencyAvgMs?.ci95, 3),
    ];
    return withSettings ? [cellLabel(v.settings), ...row] : row;
  });
  return { header, rows };
}
