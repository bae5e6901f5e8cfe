/**
 * Builders for reports and their items, so writers never spell the JSON shape by hand.
 * Item keys follow pg_perfbench's where the fact is the same (`cpu_info`, `pg_settings`,
 * `pgbench_outputs`, …) so its join task files apply to our reports unchanged.
 */
import type {
  ItemCommand,
  ItemState,
  IterationResult,
  JsonObject,
  JsonValue,
  PgopsBlock,
  Report,
  ReportItem,
  ReportSection,
} from './model';
import { reportSchemaVersion } from './model';
import { toolVersion } from '../version';

export interface ItemOptions {
  description?: string;
  state?: ItemState;
  /** Defaults to `{ python_command: <item key or header> }`, naming the collector. */
  command?: ItemCommand;
}

type ItemBase = ItemCommand & { header: string; description?: string; state: ItemState };

function base(header: string, opts: ItemOptions): ItemBase {
  const item: ItemBase = { header, state: opts.state ?? 'collapsed' };
  if (opts.description !== undefined) item.description = opts.description;
  Object.assign(item, opts.command ?? { python_command: header });
  return item;
}

export function plainTextItem(header: string, text: string, opts: ItemOptions = {}): ReportItem {
  return { ...base(header, opts), item_type: 'plain_text', data: text };
}

export function tableItem(header: string, theader: string[], rows: JsonValue[][], opts: ItemOptions = {}): ReportItem {
  return { ...base(header, opts), item_type: 'table', theader, data: rows };
}

/**
 * A table from an array of objects, the way pg_perfbench turns a script's JSON output into one:
 * columns are the union of keys in order of first appearance, missing cells are null.
 */
export function tableFromObjects(header: string, objects: JsonObject[], opts: ItemOptions = {}): ReportItem {
  const theader: string[] = [];
  const seen = new Set<string>();
  for (const o of objects)
    for (const k of Object.keys(o))
      if (!seen.has(k)) {
        seen.add(k);
        theader.push(k);
      }
  return tableItem(
    header,
    theader,
    objects.map((o) => theader.map((k) => (k in o ? o[k] : null))),
    opts,
  );
}

export function linkItem(header: string, target: string, opts: ItemOptions = {}): ReportItem {
  return { ...base(header, opts), item_type: 'link', data: target };
}

/** A chart item; `options` are ApexCharts options, the shape pg_perfbench's HTML renders. */
export function chartItem(header: string, options: JsonObject, opts: ItemOptions = {}): ReportItem {
  return { ...base(header, opts), item_type: 'chart', data: options };
}

/** A collector that failed: its error text stays in the report, as pg_perfbench does. */
export function errorItem(header: string, message: string, opts: ItemOptions = {}): ReportItem {
  return plainTextItem(header, `Error: ${message}`, opts);
}

const sectionHeaders: Record<string, [string, string]> = {
  system: ['System properties', 'Common info about current host'],
  db: ['Common database info', 'Common info about current database'],
  benchmark: ['Common benchmark info', 'Common info about current benchmark'],
  result: ['Tests result info', 'Results of tests'],
};

export function section(header: string, description: string, state: ItemState = 'expanded'): ReportSection {
  return { header, description, state, reports: {} };
}

export interface NewReportOptions {
  reportName: string;
  header?: string;
  /** Defaults to the start time as pg_perfbench writes it: dd/mm/YYYY HH:MM:SS (UTC). */
  description?: string;
  startedAt?: Date;
  iterName?: 'pgbench_clients' | 'pgbench_time';
  toolVersion?: string;
  /** Sections to create, in order; defaults to pg_perfbench's benchmark layout. */
  sections?: string[];
}

/** An empty benchmark report with the standard sections and a `pgops` block in status 'complete'. */
export function newReport(opts: NewReportOptions): Report {
  const started = opts.startedAt ?? new Date();
  const sections: Record<string, ReportSection> = {};
  for (const key of opts.sections ?? ['system', 'db', 'benchmark', 'result']) {
    const [h, d] = sectionHeaders[key] ?? [key, ''];
    sections[key] = section(h, d);
  }
  const pgops: PgopsBlock = {
    schemaVersion: reportSchemaVersion,
    tool: { name: 'pgops', version: opts.toolVersion ?? toolVersion },
    status: 'complete',
    timings: { startedAt: started.toISOString() },
    iterName: opts.iterName ?? 'pgbench_clients',
    iterations: [],
    environmentNotes: [],
  };
  return {
    header: opts.header ?? 'PostgreSQL database benchmark report',
    report_name: opts.reportName,
    description: opts.description ?? formatPerfbenchDate(started),
    sections,
    pgops,
  };
}

/** Puts an item into a section, creating the section (with a plain header) when it is missing. */
export function setItem(report: Report, sectionKey: string, itemKey: string, item: ReportItem): void {
  const [h, d] = sectionHeaders[sectionKey] ?? [sectionKey, ''];
  const sec = (report.sections[sectionKey] ??= section(h, d));
  sec.reports[itemKey] = item;
}

export function getItem(report: Report, sectionKey: string, itemKey: string): ReportItem | undefined {
  return report.sections[sectionKey]?.reports[itemKey];
}

export const pgbenchOutputsHeader = [
  'clients',
  'duration',
  'number of transactions actually processed',
  'latency average',
  'initial connection time',
  'tps',
];

/** pg_perfbench's `result.pgbench_outputs` table (6 columns) from structured iterations. */
export function pgbenchOutputsItem(iterations: IterationResult[]): ReportItem {
  const rows = iterations.map((it) => [
    it.clients,
    it.durationS ?? null,
    it.processed,
    it.latencyAvgMs,
    it.initialConnectionMs,
    it.tps,
  ]);
  return tableItem('benchmark results info', pgbenchOutputsHeader, rows, {
    command: { python_command: 'benchmark_result' },
  });
}

/** pg_perfbench's `result.chart` item: ApexCharts options with one tps series per report. */
export function tpsChartItem(
  series: Array<{ name: string; points: Array<[number, number]> }>,
  iterName: string,
): ReportItem {
  const options: JsonObject = {
    series: series.map((s) => ({ name: s.name, data: s.points.map(([x, y]) => [x, Math.round(y * 10) / 10]) })),
    chart: { height: 350, type: 'line', zoom: { enabled: false } },
    dataLabels: { enabled: false },
    stroke: { curve: 'smooth', width: 2 },
    title: { text: `tps(${iterName})` },
    yaxis: { title: { text: 'Transactions per Second (tps)' } },
    xaxis: { title: { text: iterName } },
  };
  return chartItem('benchmark plots', options, { description: '', command: { python_command: 'chart_tps' } });
}

/** The tps points of a report's iterations, skipping iterations without a tps. */
/** [value, tps] per value; a value that ran several times (repeats) is drawn at the mean of its runs. */
export function tpsPoints(iterations: IterationResult[]): Array<[number, number]> {
  const byValue = new Map<number, number[]>();
  for (const it of iterations) if (it.tps !== null) byValue.set(it.value, [...(byValue.get(it.value) ?? []), it.tps]);
  return [...byValue].map(([value, tps]) => [value, tps.reduce((a, x) => a + x, 0) / tps.length]);
}

export function formatPerfbenchDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
