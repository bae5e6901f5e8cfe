/**
 * What a join adds about the results themselves: each report compared with the reference at every
 * value they share (B/A, its 95% interval, significance and the test used, as `pgops compare`
 * does), and the spread of tps across all the reports at each value (the repeatability figures).
 */
import { describeError } from '../errors';
import type { RunComparison } from './comparison';
import { compareRuns, formatP } from './comparison';
import { plainTextItem, tableItem } from './items';
import type { Report, ReportItem } from './model';
import { measuredValues, valueSummaries } from './repeats';
import { rounded } from './stats';
import { reportIterations } from './summary';

/** One report against the reference at one value: the comparison, or why there is none. */
interface ValueComparison {
  value: number;
  outcome: RunComparison | Error;
}

function attempt(run: () => RunComparison): RunComparison | Error {
  try {
    return run();
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/**
 * Every report after the first compared with it at each value they share, each comparison made once for both
 * items below: the table of every value, and the summary at the largest (what `pgops compare` picks itself).
 */
export function joinComparisonItems(
  reports: Report[],
  names: string[],
  files: string[],
  iterName: string,
): { comparison: ReportItem; summary: ReportItem } {
  const [ref, ...others] = reports;
  const refValues = measuredValues(reportIterations(ref));
  const byReport = others.map((r, n): ValueComparison[] =>
    measuredValues(reportIterations(r))
      .filter((v) => refValues.includes(v))
      .map((value) => ({
        value,
        outcome: attempt(() => compareRuns(ref, r, { a: files[0], b: files[n + 1] }, { value })),
      })),
  );
  const rows = byReport.flatMap((comparisons, n) =>
    comparisons.map(({ value, outcome }) => {
      if (outcome instanceof Error)
        return [names[n + 1], value, null, null, null, null, null, 'not compared', describeError(outcome)];
      const t = outcome.tps;
      return [
        names[n + 1],
        value,
        rounded(t.a, 1),
        rounded(t.b, 1),
        rounded(t.ratio, 3),
        t.ci95 ? `${rounded(t.ci95[0], 3)} – ${rounded(t.ci95[1], 3)}` : null,
        t.p === null ? null : formatP(t.p),
        t.significant === null ? 'not tested' : t.significant ? 'yes' : 'no',
        t.basis,
      ];
    }),
  );
  const comparison = tableItem(
    `Each report against the reference "${names[0]}" (pgops compare)`,
    ['report', iterName, 'reference tps', 'tps', 'ratio', '95% CI of ratio', 'p', 'significant', 'test on'],
    rows,
    {
      description:
        "Welch's t-test on the runs of each value, or on batch means of the per-second series with one run a side; " +
        'significant when the whole 95% interval of the ratio lies outside 1 ± 2%.',
      state: 'expanded',
      command: { python_command: 'pgops_compare' },
    },
  );
  const text = byReport
    .map((comparisons, n) => {
      const [a, b] = [names[0], names[n + 1]];
      // with no value in common, compareRuns itself says so
      const last =
        comparisons.at(-1)?.outcome ?? attempt(() => compareRuns(ref, others[n], { a: files[0], b: files[n + 1] }));
      if (last instanceof Error) return `${b} against ${a}: not compared: ${describeError(last)}`;
      const head = `${b} against ${a} at ${last.iterName} ${last.value} (A = ${a}, B = ${b}):`;
      return [head, ...last.summary.map((line) => `  ${line}`)].join('\n');
    })
    .join('\n\n');
  const summary = plainTextItem('Why the reports differ from the reference (pgops compare)', `${text}\n`, {
    description:
      'Built by rules from tps, latency, wait events, statements, settings and facts; see pgops compare --help.',
    state: 'expanded',
    command: { python_command: 'pgops_compare_summary' },
  });
  return { comparison, summary };
}

/** tps across every report at each value: how repeatable the runs are. */
export function tpsSpreadItem(reports: Report[], iterName: string): ReportItem {
  const rows = valueSummaries(reports.flatMap(reportIterations))
    .sort((x, y) => x.value - y.value)
    .map(({ value, tps: s }) => [
      value,
      s.n,
      rounded(s.mean, 1),
      rounded(s.sd, 2),
      rounded(s.ci95, 2),
      rounded((100 * s.sd) / s.mean, 2),
    ]);
  return tableItem(
    'Spread of tps across the reports',
    [iterName, 'runs', 'tps mean', 'tps stddev', '95% CI ±', 'coefficient of variation %'],
    rows,
    {
      description: 'Every complete run of every report at the value; the interval is Student t on the runs.',
      state: 'expanded',
      command: { python_command: 'pgops_tps_spread' },
    },
  );
}
