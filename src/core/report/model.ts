/**
 * The benchmark report: pg_perfbench's JSON structure (so its files read unchanged and its join
 * task files work on ours) plus one top-level `pgops` block with the structured data our viewer,
 * join and HTML draw from. Our files are `*.pgperf.json`; pg_perfbench's are plain `.json`.
 *
 * Writers (the bench runner) build a report with `newReport`, add items with the builders in
 * `items.ts` through `setItem`, fill `report.pgops`, then call `writeReportAtomic` and
 * `renderReportHtml`.
 */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type ItemType = 'plain_text' | 'table' | 'chart' | 'link';
export type ItemState = 'expanded' | 'collapsed' | 'hidden';
export const itemTypes: readonly ItemType[] = ['plain_text', 'table', 'chart', 'link'];
export const itemStates: readonly ItemState[] = ['expanded', 'collapsed', 'hidden'];

/**
 * pg_perfbench only collects and joins items that carry one of these keys; ours name the
 * collector that produced the item, so pg_perfbench's own join sees our items too.
 */
export interface ItemCommand {
  shell_command_file?: string;
  sql_command_file?: string;
  python_command?: string;
}

/**
 * One entry of a section's `reports`. `data` by type: plain_text → string; table → rows aligned
 * with `theader` (cells are any JSON, e.g. lshw's nested objects); chart → ApexCharts options;
 * link → a path string. In a joined report a differing item holds `[[reportName, value], ...]`.
 * A failed collector leaves its error text as a plain_text string.
 */
export interface ReportItem extends ItemCommand {
  header: string;
  description?: string;
  state: ItemState;
  item_type: ItemType;
  theader?: string[];
  data: JsonValue;
  /** Other keys of foreign files are kept as they are. */
  [extra: string]: JsonValue | undefined;
}

export interface ReportSection {
  header: string;
  description: string;
  state: ItemState;
  reports: Record<string, ReportItem>;
}

/** The section keys pg_perfbench uses; reports may hold others. */
export type StandardSection = 'system' | 'db' | 'benchmark' | 'result';

export type RunStatus = 'complete' | 'interrupted' | 'failed';

/** Latency percentiles in milliseconds, from pgbench's per-transaction log. */
export interface LatencyPercentiles {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  /** transactions the percentiles come from (the sampled ones, with a sampling rate below 1) */
  samples?: number;
  /** 95% interval of each percentile from those samples (order statistics): its precision */
  ci95?: { p50: [number, number]; p90: [number, number]; p95: [number, number]; p99: [number, number] };
}

/**
 * Latencies of an iteration in log-scale buckets: bucket `first + i` counts `counts[i]` transactions
 * between 2^((first+i)/bucketsPerOctave) and 2^((first+i+1)/bucketsPerOctave) µs.
 */
export interface LatencyHistogram {
  unit: 'us';
  bucketsPerOctave: number;
  first: number;
  counts: number[];
  /** the per-transaction log's sampling rate: counts × 1/rate estimates all transactions */
  samplingRate: number;
}

/** One `--progress` line: seconds since start, tps and latency over that interval. */
export interface ProgressPoint {
  t: number;
  tps: number;
  latencyMs: number;
  stddevMs?: number;
  failed?: number;
}

export interface WaitEventSamples {
  /** wait_event_type, or 'CPU' for active backends without a wait event. */
  type: string;
  event: string;
  samples: number;
}

export interface TopStatement {
  queryid?: string;
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  /** Block and WAL counters over the iteration (absent in reports written before they were kept). */
  sharedBlksHit?: number;
  sharedBlksRead?: number;
  tempBlksWritten?: number;
  walBytes?: number;
}

/** One pgbench run of the sweep, structured. Missing measurements are null, never guessed. */
export interface IterationResult {
  index: number;
  /** The iteration value from the plan: clients, or duration in seconds when sweeping time. */
  value: number;
  /** which run of the value when the plan repeats values (0-based); absent when it does not */
  repeat?: number;
  /** the swept server settings of the iteration's cell, as SHOW gave them in a session opened like pgbench's */
  settings?: Record<string, string>;
  clients: number;
  threads?: number;
  durationS?: number | null;
  status: RunStatus;
  error?: string;
  tps: number | null;
  latencyAvgMs: number | null;
  latencyStddevMs: number | null;
  initialConnectionMs: number | null;
  processed: number | null;
  failed: number | null;
  skipped: number | null;
  percentiles?: LatencyPercentiles | null;
  /** the distribution the percentiles come from */
  latencyHistogram?: LatencyHistogram;
  series?: ProgressPoint[];
  waitEvents?: WaitEventSamples[];
  topStatements?: TopStatement[];
  /** The pgbench argument vector with the password redacted. */
  commandLine?: string[];
}

export interface ServerFacts {
  /** `version()` text. */
  version: string;
  major: number;
  minor?: string;
  host?: string;
  port?: number;
}

/** Filled by the join in a merged report. */
export interface JoinSummary {
  reports: Array<{ name: string; file: string }>;
  reference: string;
  task: { description: string; items: string[]; file?: string };
  /** Item paths that matched in every report. */
  matched: string[];
  /** Item paths kept side by side because they differ. */
  differing: string[];
  /** Every report's iterations, by report name, in report order. */
  results: Array<{ name: string; iterName: string; iterations: IterationResult[] }>;
}

export interface PgopsBlock {
  schemaVersion: 1;
  tool: { name: 'pgops'; version: string };
  status: RunStatus;
  error?: { message: string; hint?: string };
  timings: { startedAt: string; finishedAt?: string; durationMs?: number };
  /** The run plan as written in a `*.pgbench-plan.json` (kept opaque here; src/core/bench owns its type). */
  plan?: JsonObject;
  /** What the sweep iterates over, as in pg_perfbench: 'pgbench_clients' or 'pgbench_time'. */
  iterName: string;
  server?: ServerFacts;
  iterations: IterationResult[];
  /** Free notes about the environment, e.g. "system facts not collected: <reason>". */
  environmentNotes: string[];
  join?: JoinSummary;
  /** The redaction rule set this report was cleaned with and its markers by rule (absent in reports before it). */
  redaction?: RedactionRecord;
  /** A failover drill's measures (iterName 'drill', no iterations). */
  drill?: DrillBlock;
}

/** A member as a drill report keeps it: Patroni's view before and after the event. */
export interface DrillMember {
  name: string;
  role: string;
  state: string;
  host: string;
  port: number;
  timeline?: number;
  lagBytes?: number;
}

/** What an application saw while the cluster switched over or failed over (src/core/ha/drill.ts). */
export interface DrillBlock {
  event: 'switchover' | 'failover';
  method: 'rest' | 'kill-postmaster' | 'kill-node';
  scope?: string;
  /** The drill table's run_id of its rows, and the table as schema.name. */
  runId: string;
  table: string;
  synchronousMode: boolean;
  intervalMs: number;
  durationMs: number;
  leaderBefore: string;
  leaderAfter?: string;
  candidate?: string;
  timelineBefore?: number;
  timelineAfter?: number;
  /** ms since the writer started */
  eventStartMs: number;
  eventEndMs: number;
  eventResult: string;
  settledMs?: number;
  /** From the last acknowledged write before the outage to the first after it (the longest silence once the event started). */
  writeGapMs?: number;
  gapFromMs?: number;
  gapToMs?: number;
  reconnectMs?: number;
  attempted: number;
  acknowledged: number;
  failed: number;
  /** Acknowledged writes the new leader does not have, and the first 100 of their numbers. */
  lost: number;
  lostSeqs: number[];
  /** Failed inserts whose outcome the application could not know: committed anyway (present) or not. */
  inDoubt: { present: number; absent: number };
  failedConnects: number;
  /** failures (inserts and connection attempts) by SQLSTATE, socket error code or pgops error code */
  errorClasses: Record<string, number>;
  /** the first message of each error class */
  firstErrors: Record<string, string>;
  /** every 100 ms: acknowledged and failed attempts */
  series: Array<{ tMs: number; ok: number; failed: number }>;
  membersBefore: DrillMember[];
  membersAfter: DrillMember[];
  notes: string[];
}

export interface RedactionRecord {
  /** e.g. 'pgops-redact/1' */
  ruleSet: string;
  /** rule id → number of markers of that rule in the report */
  counts: Record<string, number>;
}

export interface Report {
  header: string;
  report_name: string;
  description: string;
  sections: Record<string, ReportSection>;
  /** Absent in pg_perfbench's files. */
  pgops?: PgopsBlock;
}

export const reportSchemaVersion = 1;
/** Suffix of our report files; pg_perfbench writes plain `.json`. */
export const reportFileSuffix = '.pgperf.json';

/** A cell or item value as plain text: a string as it is, null as empty, anything else as its JSON. */
export function jsonText(v: JsonValue): string {
  if (v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A joined item's data: `[[reportName, value], ...]` (pg_perfbench's Diff form). */
export function isJoinedPairs(data: JsonValue): data is Array<[string, JsonValue]> {
  return (
    Array.isArray(data) &&
    data.length > 0 &&
    data.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string')
  );
}

/**
 * Whether an item holds a join's side-by-side values rather than its own data. Tables need care:
 * a 2-column table of strings (pg_settings) looks like pairs, so a joined table must hold rows.
 */
export function isJoinedItem(item: Pick<ReportItem, 'item_type' | 'data'>): boolean {
  if (!isJoinedPairs(item.data)) return false;
  if (item.item_type !== 'table') return true;
  const values = item.data.map((p) => p[1]);
  return (
    values.some((v) => Array.isArray(v)) && values.every((v) => v === null || typeof v === 'string' || Array.isArray(v))
  );
}
