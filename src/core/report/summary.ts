/**
 * What a report says at a glance, for ours and pg_perfbench's alike: the iterations (from the
 * `pgops` block, or rebuilt from pg_perfbench's `pgbench_outputs` table), the server version,
 * the host and the status.
 */
import type { IterationResult, JsonValue, Report } from './model';
import { isJoinedItem } from './model';

export interface ReportSummary {
  name: string;
  header: string;
  /** The run's start (ISO) for our reports; pg_perfbench's free-text description otherwise. */
  when: string;
  startedAt?: string;
  serverVersion?: string;
  host?: string;
  status: string;
  iterName: string;
  iterations: IterationResult[];
  maxTps: number | null;
  joined: boolean;
}

const num = (v: JsonValue | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** pg_perfbench's result rows to our iterations, by column name (its v1.0 files have 5 columns, newer ones 6). */
export function iterationsFromPgbenchOutputs(
  theader: string[],
  rows: JsonValue[],
  xValues?: number[],
): IterationResult[] {
  const col = (name: string) => theader.indexOf(name);
  const c = {
    clients: col('clients'),
    duration: col('duration'),
    processed: col('number of transactions actually processed'),
    latency: col('latency average'),
    conn: col('initial connection time'),
    tps: col('tps'),
  };
  const at = (row: JsonValue[], i: number) => (i >= 0 ? num(row[i]) : null);
  return rows
    .filter((r): r is JsonValue[] => Array.isArray(r))
    .map((row, index) => {
      const clients = at(row, c.clients) ?? 0;
      return {
        index,
        value: xValues?.[index] ?? clients,
        clients,
        durationS: at(row, c.duration),
        status: 'complete',
        tps: at(row, c.tps),
        latencyAvgMs: at(row, c.latency),
        latencyStddevMs: null,
        initialConnectionMs: at(row, c.conn),
        processed: at(row, c.processed),
        failed: null,
        skipped: null,
      };
    });
}

/** The chart's x values of the first series (iteration values, which may differ from parsed clients). */
function chartXValues(report: Report): number[] | undefined {
  const data = report.sections.result?.reports.chart?.data;
  if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const series = (data as { series?: JsonValue }).series;
  if (!Array.isArray(series) || !series[0] || typeof series[0] !== 'object' || Array.isArray(series[0]))
    return undefined;
  const points = (series[0] as { data?: JsonValue }).data;
  if (!Array.isArray(points)) return undefined;
  const xs = points.map((p) => (Array.isArray(p) ? num(p[0]) : null));
  return xs.every((x): x is number => x !== null) ? xs : undefined;
}

export function reportIterations(report: Report): IterationResult[] {
  if (report.pgops) return report.pgops.iterations;
  const item = report.sections.result?.reports.pgbench_outputs;
  if (!item || !Array.isArray(item.data) || isJoinedItem(item)) return [];
  return iterationsFromPgbenchOutputs(item.theader ?? [], item.data, chartXValues(report));
}

function plainText(report: Report, section: string, key: string): string | undefined {
  const d = report.sections[section]?.reports[key]?.data;
  return typeof d === 'string' ? d.trim() : undefined;
}

export function summarizeReport(report: Report): ReportSummary {
  const iterations = reportIterations(report);
  const tpsValues = iterations.map((it) => it.tps).filter((t): t is number => t !== null);
  const p = report.pgops;
  const args = report.sections.benchmark?.reports.args?.data;
  const argHost = Array.isArray(args) ? args.find((r) => Array.isArray(r) && r[0] === 'pg_host') : undefined;
  return {
    name: report.report_name,
    header: report.header,
    when:
      p?.timings.startedAt ??
      report.description
        .split('\n')
        .find((l) => l.trim())
        ?.trim() ??
      '',
    startedAt: p?.timings.startedAt,
    serverVersion:
      p?.server?.version ?? plainText(report, 'db', 'full_version') ?? plainText(report, 'db', 'version_major'),
    host: p?.server?.host ?? (Array.isArray(argHost) && typeof argHost[1] === 'string' ? argHost[1] : undefined),
    status: p?.status ?? 'complete',
    iterName: p?.iterName ?? 'pgbench_clients',
    iterations,
    maxTps: tpsValues.length ? Math.max(...tpsValues) : null,
    joined: !!p?.join || report.header.startsWith('Result of joined reports'),
  };
}
