import * as path from 'node:path';
import type { MetricComparison, RunComparison } from '../../core/report/comparison';
import { compareRuns, formatP } from '../../core/report/comparison';
import { readReport } from '../../core/report';
import type { DrillComparison } from '../../core/ha/drillCompare';
import { compareDrills } from '../../core/ha/drillCompare';
import { rounded } from '../../core/report/stats';
import type { CliCommand } from '../command';
import { parseFlags, UsageError } from '../command';
import { formatTable } from '../output';

const options = {
  a: { type: 'string', multiple: true },
  b: { type: 'string', multiple: true },
  value: { type: 'string' },
  noise: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function numberFlag(v: string | undefined, flag: string, check: (n: number) => boolean, what: string) {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new UsageError(`--${flag} must be ${what}, got "${v}"`);
  return n;
}

/** `--a NAME=V` flags as a cell: setting → value. */
function cellFlag(list: string[] | undefined, flag: string): Record<string, string> | undefined {
  if (!list) return undefined;
  const cell: Record<string, string> = {};
  for (const x of list) {
    const at = x.indexOf('=');
    if (at <= 0) throw new UsageError(`--${flag} takes NAME=VALUE (a swept setting and its value), got "${x}"`);
    cell[x.slice(0, at).trim().toLowerCase()] = x.slice(at + 1).trim();
  }
  return cell;
}

const r = (n: number | null | undefined, digits = 3) => rounded(n, digits);

function metricRow(label: string, m: MetricComparison | null): Array<string | number | null> {
  if (!m) return [label, null, null, null, 'no data', null, null];
  return [
    label,
    r(m.a, 2),
    r(m.b, 2),
    r(m.ratio),
    m.ci95 ? `[${r(m.ci95[0])}, ${r(m.ci95[1])}]` : 'n/a',
    m.p === null ? 'n/a' : formatP(m.p),
    m.significant === null ? 'not tested' : m.significant ? 'yes' : 'no',
  ];
}

function text(c: RunComparison): string {
  const sign = (n: number) => `${n > 0 ? '+' : ''}${n}`;
  const out = [
    `A: ${c.a.name} (iterations ${c.a.iterations.join(', ')})`,
    `B: ${c.b.name} (iterations ${c.b.iterations.join(', ')})`,
    `at ${c.iterName} ${c.value}${c.otherValues.length ? ` (also in both: ${c.otherValues.join(', ')}; choose with --value)` : ''}`,
    '',
    formatTable(
      ['', 'A', 'B', 'B/A', '95% CI of B/A', 'p', 'significant'],
      [metricRow('tps', c.tps), metricRow('latency avg ms', c.latency)],
    ),
    `test: ${c.tps.method ?? 'none'} (${c.tps.basis})`,
  ];
  if (c.waits.length)
    out.push(
      '',
      'Wait events, share of samples (%):',
      formatTable(
        ['event', 'A', 'B', 'pp'],
        c.waits.slice(0, 10).map((w) => [w.event, w.a, w.b, sign(w.deltaPp)]),
      ),
    );
  if (c.statements.length)
    out.push(
      '',
      'Statements, per call (A → B):',
      formatTable(
        ['queryid', 'calls', 'mean ms', 'change %', 'temp blks', 'shared read', 'query'],
        c.statements
          .slice(0, 10)
          .map((s) => [
            s.queryid ?? '',
            `${s.a?.calls ?? '-'} → ${s.b?.calls ?? '-'}`,
            `${s.a?.meanMs ?? '-'} → ${s.b?.meanMs ?? '-'}`,
            s.meanChangePct === null ? null : s.meanChangePct,
            `${s.a?.tempBlksWrittenPerCall ?? '-'} → ${s.b?.tempBlksWrittenPerCall ?? '-'}`,
            `${s.a?.sharedBlksReadPerCall ?? '-'} → ${s.b?.sharedBlksReadPerCall ?? '-'}`,
            s.query.replace(/\s+/g, ' ').slice(0, 60),
          ]),
      ),
    );
  if (c.settings.length)
    out.push(
      '',
      'Settings that differ (those that can explain the difference first):',
      formatTable(
        ['name', 'A', 'B', 'why it may matter'],
        c.settings.slice(0, 20).map((s) => [s.name, s.a ?? '(unset)', s.b ?? '(unset)', s.relevance ?? '']),
      ),
    );
  if (c.facts.length)
    out.push(
      '',
      'pgbench options and facts that differ:',
      ...c.facts.slice(0, 20).map((f) => `  ${f.item}: ${f.a}  →  ${f.b}`),
    );
  out.push('', 'Summary:', ...c.summary.map((s) => `  ${s}`));
  return out.join('\n');
}

function drillText(d: DrillComparison): string {
  return [
    `A: ${d.a.name} (${d.a.event}, ${d.a.method})`,
    `B: ${d.b.name} (${d.b.event}, ${d.b.method})`,
    '',
    formatTable(
      ['measure', 'A', 'B', 'B − A'],
      d.measures.map((m) => [m.name, m.a, m.b, m.change]),
    ),
    '',
    ...d.summary,
  ].join('\n');
}

export const compareCommand: CliCommand = {
  name: 'compare',
  summary: 'compare two benchmark reports: tps and latency with significance, waits, statements, settings, and why',
  usage:
    'pgops compare A.pgperf.json [B.pgperf.json] [--a NAME=V]… [--b NAME=V]… [--value N] [--noise F] [--json]\n' +
    '  A, B        pgops or pg_perfbench reports of the same kind of sweep (clients, or duration); B is compared with A\n' +
    '  --a, --b    the cell of a settings sweep (bench --set) on each side, e.g. --a work_mem=64kB --b work_mem=64MB;\n' +
    '              with one report, its two cells are compared\n' +
    '  --value N   the sweep value to compare (a client count, or seconds); default the largest value both have\n' +
    '  --noise F   the band of B/A around 1 that is noise (default 0.02, i.e. ±2%): a difference is significant only\n' +
    '              when the whole 95% confidence interval of B/A lies outside it\n' +
    "The test is Welch's t-test on the repeated runs of the value, or with one run each on the means of 5 batches\n" +
    'of the per-second series (which keeps the autocorrelation of per-second tps out of the test).\n' +
    '--json: {a, b, iterName, value, tps: {a, b, ratio, ci95, significant, p, method}, latency, waits, statements,\n' +
    '         settings: [{name, a, b, relevance}], facts, summary: [string]}\n' +
    'Two drill reports (pgops drill) compare their write gap, reconnection, time to a running leader, acknowledged,\n' +
    'lost and failed writes, and say where the drills differ; --json: {a, b, measures: [{name, a, b, change}], summary}',
  options,
  run(argv, io) {
    const { values, positionals } = parseFlags(argv, options, true);
    if (positionals.length !== 1 && positionals.length !== 2)
      throw new UsageError(`expected two report files A and B (or one report and --a/--b), got ${positionals.length}`);
    if (positionals.length === 1 && !(values.a && values.b))
      throw new UsageError('with one report, name its two cells with --a NAME=V and --b NAME=V');
    const cells = { a: cellFlag(values.a, 'a'), b: cellFlag(values.b, 'b') };
    const value = numberFlag(values.value, 'value', (n) => n > 0, 'a positive number');
    const noise = numberFlag(values.noise, 'noise', (n) => n >= 0 && n < 1, 'between 0 and 1 (0.02 is 2%)');
    const [fa, fb] = [positionals[0], positionals[1] ?? positionals[0]].map((f) => path.resolve(io.cwd, f));
    const ra = readReport(fa);
    if (ra.pgops?.drill) {
      if (positionals.length !== 2)
        throw new UsageError('a drill report is compared with another drill report: give two files');
      const d = compareDrills(ra, readReport(fb), { a: fa, b: fb });
      io.out(values.json ? JSON.stringify(d) : drillText(d));
      return 0;
    }
    const c = compareRuns(ra, fb === fa ? ra : readReport(fb), { a: fa, b: fb }, { value, noise, cells });
    io.out(values.json ? JSON.stringify(c) : text(c));
    return 0;
  },
};
