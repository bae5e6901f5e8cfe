/**
 * The benchmark and result sections of a sweep's report, under pg_perfbench's item keys
 * (args, options, custom_tables, custom_workload, pgbench_outputs, chart) plus ours
 * (pgbench_version, latency_percentiles, wait_events, top_statements, environment_changes).
 */
import * as fs from 'node:fs';
import type { IterationResult, JsonValue, Report, ReportItem } from '../report';
import { pgbenchOutputsItem, plainTextItem, setItem, tableItem, tpsChartItem, tpsPoints } from '../report';
import { cellLabel, hasRepeats, valueSummaryTable } from '../report/repeats';
import type { PgbenchSummary } from './pgbenchOutput';
import type { BenchPlan } from './plan';

const py = (name: string) => ({ command: { python_command: name } });

/** pg_perfbench's `args` table: one [arg, value] row per plan field (a plan holds no secret). */
function argsRows(plan: BenchPlan, extra: Record<string, string>): string[][] {
  const rows = Object.entries(plan).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
  return [...rows, ...Object.entries(extra)];
}

function fileContents(paths: string[]): string {
  return paths
    .map((p) => {
      try {
        return `${p} :\n${fs.readFileSync(p, 'utf8')}\n\n`;
      } catch {
        return `File not found: ${p}\n\n`;
      }
    })
    .join('');
}

/** Script files a template names (`-f x.sql`, `--file=x.sql`, `x.sql@5`), as pg_perfbench finds them. */
export function scriptFilesIn(words: string[]): string[] {
  const files: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const value = w === '-f' || w === '--file' ? words[++i] : w.replace(/^(--file=|-f)/, '');
    const m = value?.match(/^(.*\.sql)(@\d+)?$/);
    if (m) files.push(m[1]);
  }
  return files;
}

export interface BenchmarkFacts {
  plan: BenchPlan;
  pgbenchPath: string;
  pgbenchVersion: string;
  endpoint: string;
  initCommandLine?: string;
  initWords?: string[];
  workloadCommandLines: string[];
  workloadWords: string[];
}

export function fillBenchmarkSection(report: Report, f: BenchmarkFacts): void {
  setItem(
    report,
    'benchmark',
    'args',
    tableItem(
      'benchmark arguments info',
      ['arg', 'value'],
      argsRows(f.plan, {
        pgbench_path: f.pgbenchPath,
        connection: f.endpoint,
        password: 'not recorded (given to pgbench through a temporary pgpass file)',
      }),
      { description: 'Arguments configured by the user', ...py('args') },
    ),
  );
  setItem(
    report,
    'benchmark',
    'options',
    tableItem(
      'pgbench options info',
      ['iteration number', 'pgbench_options'],
      f.workloadCommandLines.map((l, i) => [i, l]),
      { description: 'Benchmark load configuration parameters for pgbench', ...py('pgbench_options_table') },
    ),
  );
  const initFiles = scriptFilesIn(f.initWords ?? []);
  setItem(
    report,
    'benchmark',
    'custom_tables',
    plainTextItem(
      'pgbench tables',
      initFiles.length
        ? fileContents(initFiles)
        : (f.plan.initCommand ??
            f.initCommandLine ??
            `pgbench -i -s ${f.plan.scale}${f.plan.foreignKeys ? ' --foreign-keys' : ''} (init: ${f.plan.init})`),
      { description: 'Table schema for the pgbench load test', ...py('custom_tables') },
    ),
  );
  const workloadFiles = [...f.plan.files.map((x) => x.path), ...scriptFilesIn(f.workloadWords)];
  const builtin = f.plan.builtin.map((b) => `builtin ${b.name}@${b.weight}`).join('\n');
  setItem(
    report,
    'benchmark',
    'custom_workload',
    plainTextItem(
      'pgbench workload',
      workloadFiles.length
        ? fileContents([...new Set(workloadFiles)])
        : (f.plan.workloadCommand ?? (builtin || 'builtin tpcb-like')),
      { description: 'Workload scripts of the pgbench load test', ...py('custom_workload') },
    ),
  );
  setItem(
    report,
    'benchmark',
    'pgbench_version',
    plainTextItem('pgbench version | pgbench --version', f.pgbenchVersion, py('pgbench_version')),
  );
  setItem(
    report,
    'benchmark',
    'command_lines',
    plainTextItem(
      'Exact command lines (no password: it goes through a temporary pgpass file)',
      [
        f.initCommandLine ? `init: ${f.initCommandLine}` : 'init: none',
        ...f.workloadCommandLines.map((l, i) => `iteration ${i}: ${l}`),
        `search_path: ${f.plan.searchPath.join(', ')} (PGOPTIONS; pg_catalog is searched first)`,
      ].join('\n'),
      py('command_lines'),
    ),
  );
}

const fmt = (n: number | null | undefined): JsonValue =>
  n === null || n === undefined ? null : Math.round(n * 1000) / 1000;

export function fillResultSection(report: Report, iterations: IterationResult[], iterName: string): void {
  const done = iterations.filter((it) => it.status === 'complete');
  setItem(report, 'result', 'pgbench_outputs', pgbenchOutputsItem(done));
  setItem(
    report,
    'result',
    'chart',
    tpsChartItem([{ name: `${report.report_name},tps`, points: tpsPoints(done) }], iterName),
  );
  const swept = iterations.some((it) => it.settings);
  setItem(
    report,
    'result',
    'iterations',
    tableItem(
      'Every iteration | status, failures, latency stddev',
      [
        'iteration',
        ...(swept ? ['settings'] : []),
        'value',
        'repeat',
        'clients',
        'status',
        'tps',
        'latency avg ms',
        'latency stddev ms',
        'failed',
        'skipped',
        'error',
      ],
      iterations.map((it) => [
        it.index,
        ...(swept ? [cellLabel(it.settings)] : []),
        it.value,
        it.repeat ?? 0,
        it.clients,
        it.status,
        fmt(it.tps),
        fmt(it.latencyAvgMs),
        fmt(it.latencyStddevMs),
        it.failed,
        it.skipped,
        it.error ?? null,
      ]),
      py('iterations'),
    ),
  );
  const summary = valueSummaryTable(iterations);
  if (hasRepeats(iterations))
    setItem(
      report,
      'result',
      'repeat_summary',
      tableItem(
        'Repeated runs of every value | mean, standard deviation and 95% confidence interval (Student t)',
        summary.header,
        summary.rows,
        py('repeat_summary'),
      ),
    );
  setItem(
    report,
    'result',
    'latency_percentiles',
    tableItem(
      'Latency percentiles (ms) from the per-transaction log',
      ['iteration', 'clients', 'p50', 'p90', 'p95', 'p99', 'max'],
      iterations
        .filter((it) => it.percentiles)
        .map((it) => [
          it.index,
          it.clients,
          fmt(it.percentiles?.p50),
          fmt(it.percentiles?.p90),
          fmt(it.percentiles?.p95),
          fmt(it.percentiles?.p99),
          fmt(it.percentiles?.max),
        ]),
      py('latency_percentiles'),
    ),
  );
  setItem(
    report,
    'result',
    'wait_events',
    tableItem(
      'Wait events sampled from pg_stat_activity during each iteration',
      ['iteration', 'clients', 'wait_event_type', 'wait_event', 'samples'],
      iterations.flatMap((it) => (it.waitEvents ?? []).map((w) => [it.index, it.clients, w.type, w.event, w.samples])),
      py('wait_events'),
    ),
  );
  setItem(
    report,
    'result',
    'top_statements',
    tableItem(
      'Top statements of each iteration (pg_stat_statements difference)',
      [
        'iteration',
        'clients',
        'queryid',
        'calls',
        'total ms',
        'mean ms',
        'rows',
        'shared blks hit',
        'shared blks read',
        'temp blks written',
        'wal bytes',
        'query',
      ],
      iterations.flatMap((it) =>
        (it.topStatements ?? []).map((s) => [
          it.index,
          it.clients,
          s.queryid ?? null,
          s.calls,
          s.totalMs,
          s.meanMs,
          s.rows,
          s.sharedBlksHit ?? null,
          s.sharedBlksRead ?? null,
          s.tempBlksWritten ?? null,
          s.walBytes ?? null,
          s.query,
        ]),
      ),
      py('top_statements'),
    ),
  );
}

export interface PgbenchOutput {
  index: number;
  stdout: string;
  summary: PgbenchSummary;
}

/** pgbench's own summaries, verbatim, and what pg_perfbench does not keep: failures, lag, per-script numbers. */
export function fillPgbenchDetails(report: Report, outputs: PgbenchOutput[]): void {
  setItem(
    report,
    'result',
    'pgbench_raw_outputs',
    plainTextItem(
      'pgbench output of every iteration, as printed',
      outputs.map((o) => `── iteration ${o.index}\n${o.stdout}`).join('\n'),
      py('pgbench_raw_outputs'),
    ),
  );
  const cp = (c: { count: number } | undefined) => c?.count ?? null;
  setItem(
    report,
    'result',
    'pgbench_details',
    tableItem(
      'Failures, retries, skipped and schedule lag of every iteration',
      [
        'iteration',
        'query mode',
        'threads',
        'max tries',
        'failed',
        'serialization failures',
        'deadlock failures',
        'retried',
        'skipped',
        'above latency limit',
        'lag avg ms',
        'lag max ms',
      ],
      outputs.map(({ index, summary: s }) => [
        index,
        s.queryMode ?? null,
        s.threads ?? null,
        s.maxTries ?? null,
        cp(s.failed),
        cp(s.serializationFailures),
        cp(s.deadlockFailures),
        cp(s.retried),
        cp(s.skipped),
        s.aboveLatencyLimit?.count ?? null,
        s.rateLagAvgMs ?? null,
        s.rateLagMaxMs ?? null,
      ]),
      py('pgbench_details'),
    ),
  );
  setItem(
    report,
    'result',
    'pgbench_scripts',
    tableItem(
      'Per-script statistics (several scripts, or -r)',
      [
        'iteration',
        'script',
        'name',
        'weight',
        'transactions',
        'tps',
        'latency avg ms',
        'latency stddev ms',
        'failed',
        'skipped',
      ],
      outputs.flatMap(({ index, summary: s }) =>
        s.scripts.map((sc) => [
          index,
          sc.index,
          sc.name,
          sc.weight ?? null,
          sc.transactions ?? null,
          sc.tps ?? null,
          sc.latencyAvgMs ?? null,
          sc.latencyStddevMs ?? null,
          cp(sc.failed),
          cp(sc.skipped),
        ]),
      ),
      py('pgbench_scripts'),
    ),
  );
}

/** Items whose data differ between the collection before and after the sweep. */
export function environmentChanges(before: Record<string, ReportItem>, after: Record<string, ReportItem>): string[] {
  const changed: string[] = [];
  for (const [k, item] of Object.entries(after)) {
    if (before[k] && JSON.stringify(before[k].data) !== JSON.stringify(item.data)) changed.push(k);
  }
  return changed;
}

/** Last safety net: any string equal to or containing the password is masked before writing. */
export function scrubSecret<T extends JsonValue | Report>(value: T, secret: string | undefined): T {
  if (!secret || secret.length < 4) return value;
  const walk = (v: JsonValue): JsonValue => {
    if (typeof v === 'string') return v.includes(secret) ? v.split(secret).join('********') : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value as unknown as JsonValue) as unknown as T;
}
