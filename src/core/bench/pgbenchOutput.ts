/**
 * Parser of pgbench's summary (stdout) and `--progress` lines (stderr), versions 13–18.
 * Everything pgbench prints is kept: pg_perfbench reads six numbers, we also keep stddev,
 * failures (with the --failures-detailed breakdown), skipped, retries, lag and per-script blocks.
 */
import type { ProgressPoint as ReportProgressPoint } from '../report/model';

export interface CountWithPct {
  count: number;
  pct?: number;
}

/** The failure, retry and latency counters pgbench prints both for the whole run and per script. */
export interface OutcomeCounters {
  failed?: CountWithPct;
  serializationFailures?: CountWithPct;
  deadlockFailures?: CountWithPct;
  retried?: CountWithPct;
  totalRetries?: number;
  skipped?: CountWithPct;
  latencyAvgMs?: number;
  latencyStddevMs?: number;
}

export interface ScriptStats extends OutcomeCounters {
  index: number;
  name: string;
  weight?: number;
  targetPct?: number;
  /** transactions processed by this script (pgbench 18 also prints them apart from skipped and failed ones) */
  transactions?: number;
  /** pgbench 18: processed + skipped + failed, the N of " - N transactions (x% of total)" */
  transactionsTotal?: number;
  transactionsPct?: number;
  tps?: number;
  /** `-r`: per-statement average latency (ms), failures and the statement text. */
  statements: Array<{ latencyMs: number; failures?: number; retries?: number; command: string }>;
}

/** A `--progress` line as the report stores it, plus what pgbench prints with --rate (`t`: pgbench's own clock). */
export interface ProgressPoint extends ReportProgressPoint {
  lagMs?: number;
  skipped?: number;
  retried?: number;
  retries?: number;
}

export interface PgbenchSummary extends OutcomeCounters {
  /** the first line, e.g. "15.20 (Debian 15.20-0+deb12u1), server 18.1" */
  versionLine?: string;
  transactionType?: string;
  scale?: number;
  queryMode?: string;
  clients?: number;
  threads?: number;
  maxTries?: number;
  durationS?: number;
  transactionsPerClient?: number;
  processed?: number;
  /** with -t: the planned number of transactions (the M of "N/M") */
  processedPlanned?: number;
  aboveLatencyLimit?: { limitMs: number; count: number; pct?: number };
  rateLagAvgMs?: number;
  rateLagMaxMs?: number;
  initialConnectionTimeMs?: number;
  /** tps without the initial connection time (pgbench ≤ 13: the "excluding connections establishing" line) */
  tps?: number;
  /** pgbench ≤ 13 only */
  tpsIncludingConnections?: number;
  scripts: ScriptStats[];
  progress: ProgressPoint[];
}

const NUM = '(-?\\d+(?:[.,]\\d+)?)';

function num(s: string): number {
  return Number(s.replace(',', '.'));
}

function countPct(m: RegExpMatchArray | null): CountWithPct | undefined {
  if (!m) return undefined;
  return m[2] !== undefined ? { count: num(m[1]), pct: num(m[2]) } : { count: num(m[1]) };
}

/** Lines common to the summary and to a per-script block (the block's lines start with " - "). */
function parseCommonLine(line: string, into: Partial<PgbenchSummary & ScriptStats>): boolean {
  let m: RegExpMatchArray | null;
  if ((m = line.match(new RegExp(`^number of failed transactions: ${NUM}(?: \\(${NUM}%\\))?`))))
    into.failed = countPct(m);
  else if ((m = line.match(new RegExp(`^number of serialization failures: ${NUM}(?: \\(${NUM}%\\))?`))))
    into.serializationFailures = countPct(m);
  else if ((m = line.match(new RegExp(`^number of deadlock failures: ${NUM}(?: \\(${NUM}%\\))?`))))
    into.deadlockFailures = countPct(m);
  else if ((m = line.match(new RegExp(`^number of transactions retried: ${NUM}(?: \\(${NUM}%\\))?`))))
    into.retried = countPct(m);
  else if ((m = line.match(new RegExp(`^total number of retries: ${NUM}`)))) into.totalRetries = num(m[1]);
  else if ((m = line.match(new RegExp(`^number of transactions skipped: ${NUM}(?: \\(${NUM}%\\))?`))))
    into.skipped = countPct(m);
  else if ((m = line.match(new RegExp(`^latency average = ${NUM} ms`)))) into.latencyAvgMs = num(m[1]);
  else if ((m = line.match(new RegExp(`^latency stddev = ${NUM} ms`)))) into.latencyStddevMs = num(m[1]);
  else return false;
  return true;
}

function parseSummaryLine(line: string, s: PgbenchSummary): void {
  let m: RegExpMatchArray | null;
  if (parseCommonLine(line, s)) return;
  if ((m = line.match(/^pgbench \((.*)\)$/))) s.versionLine = m[1];
  else if ((m = line.match(/^transaction type: (.*)$/))) s.transactionType = m[1];
  else if ((m = line.match(new RegExp(`^scaling factor: ${NUM}`)))) s.scale = num(m[1]);
  else if ((m = line.match(/^query mode: (\w+)/))) s.queryMode = m[1];
  else if ((m = line.match(/^number of clients: (\d+)/))) s.clients = num(m[1]);
  else if ((m = line.match(/^number of threads: (\d+)/))) s.threads = num(m[1]);
  else if ((m = line.match(/^maximum number of tries: (\d+)/))) s.maxTries = num(m[1]);
  else if ((m = line.match(/^duration: (\d+) s/))) s.durationS = num(m[1]);
  else if ((m = line.match(/^number of transactions per client: (\d+)/))) s.transactionsPerClient = num(m[1]);
  else if ((m = line.match(/^number of transactions actually processed: (\d+)(?:\/(\d+))?/))) {
    s.processed = num(m[1]);
    if (m[2] !== undefined) s.processedPlanned = num(m[2]);
  } else if (
    (m = line.match(
      new RegExp(`^number of transactions above the ${NUM} ms latency limit: (\\d+)(?:/\\d+)?(?: \\(${NUM}%\\))?`),
    ))
  ) {
    s.aboveLatencyLimit = { limitMs: num(m[1]), count: num(m[2]), ...(m[3] !== undefined ? { pct: num(m[3]) } : {}) };
  } else if ((m = line.match(new RegExp(`^rate limit schedule lag: avg ${NUM} \\(max ${NUM}\\) ms`)))) {
    s.rateLagAvgMs = num(m[1]);
    s.rateLagMaxMs = num(m[2]);
  } else if ((m = line.match(new RegExp(`^initial connection time = ${NUM} ms`))))
    s.initialConnectionTimeMs = num(m[1]);
  else if ((m = line.match(new RegExp(`^tps = ${NUM} \\((.*)\\)`)))) {
    if (/including connections/.test(m[2])) s.tpsIncludingConnections = num(m[1]);
    else s.tps = num(m[1]);
  }
}

/**
 * How many count columns (failures, retries) follow the latency in the `-r` statement lines, read
 * from their header: none before pgbench 15, "and failures", or ", failures and retries" (--max-tries).
 */
function statementCountColumns(header: string): number | undefined {
  const m = header.match(/^(?: - )?statement latencies in milliseconds(.*):$/);
  if (!m) return undefined;
  return /retries/.test(m[1]) ? 2 : /failures/.test(m[1]) ? 1 : 0;
}

/**
 * One `-r` statement line. The columns are counted from the header rather than guessed from the
 * spacing: pgbench 15 puts two spaces before the command, pgbench 18 one.
 */
function parseStatementLine(line: string, countColumns: number): ScriptStats['statements'][number] | undefined {
  const m = line.match(new RegExp(`^\\s+${NUM}${'\\s+(\\d+)'.repeat(countColumns)}\\s+(\\S.*)$`));
  if (!m) return undefined;
  return {
    latencyMs: num(m[1]),
    ...(countColumns >= 1 ? { failures: num(m[2]) } : {}),
    ...(countColumns >= 2 ? { retries: num(m[3]) } : {}),
    command: m[countColumns + 2],
  };
}

function parseScriptLine(line: string, sc: ScriptStats, countColumns: number): void {
  let m: RegExpMatchArray | null;
  if (!line.startsWith(' - ')) {
    const statement = parseStatementLine(line, countColumns);
    if (statement) sc.statements.push(statement);
    return;
  }
  const body = line.slice(3);
  if (parseCommonLine(body, sc)) return;
  if ((m = body.match(new RegExp(`^weight: (\\d+)(?: \\(targets ${NUM}% of total\\))?`)))) {
    sc.weight = num(m[1]);
    if (m[2] !== undefined) sc.targetPct = num(m[2]);
  } else if ((m = body.match(new RegExp(`^(\\d+) transactions \\(${NUM}% of total, tps = ${NUM}\\)`)))) {
    // pgbench 15: the processed transactions and their tps on one line
    sc.transactions = num(m[1]);
    sc.transactionsPct = num(m[2]);
    sc.tps = num(m[3]);
  } else if ((m = body.match(new RegExp(`^(\\d+) transactions \\(${NUM}% of total\\)`)))) {
    // pgbench 18: all transactions here, the processed ones on the next line
    sc.transactionsTotal = num(m[1]);
    sc.transactionsPct = num(m[2]);
  } else if ((m = body.match(new RegExp(`^number of transactions actually processed: (\\d+) \\(tps = ${NUM}\\)`)))) {
    sc.transactions = num(m[1]);
    sc.tps = num(m[2]);
  }
}

/** One `progress:` line, or undefined when the line is something else. */
export function parseProgressLine(line: string): ProgressPoint | undefined {
  const m = line.match(
    new RegExp(`^progress: ${NUM} s, ${NUM} tps, lat ${NUM} ms(?: stddev ${NUM}| stddev NaN)?(.*)$`),
  );
  if (!m) return undefined;
  const p: ProgressPoint = { t: num(m[1]), tps: num(m[2]), latencyMs: num(m[3]) };
  if (m[4] !== undefined) p.stddevMs = num(m[4]);
  const rest = m[5];
  const field = (re: RegExp) => {
    const f = rest.match(re);
    return f ? num(f[1]) : undefined;
  };
  const failed = field(new RegExp(`, ${NUM} failed`));
  const lag = field(new RegExp(`, lag ${NUM} ms`));
  const skipped = field(new RegExp(`, ${NUM} skipped`));
  const retried = field(new RegExp(`, ${NUM} retried`));
  const retries = field(new RegExp(`, ${NUM} retries`));
  if (failed !== undefined) p.failed = failed;
  if (lag !== undefined) p.lagMs = lag;
  if (skipped !== undefined) p.skipped = skipped;
  if (retried !== undefined) p.retried = retried;
  if (retries !== undefined) p.retries = retries;
  return p;
}

/** Parses a whole run: stdout carries the summary, stderr the progress lines (both are searched for both). */
export function parsePgbenchOutput(stdout: string, stderr = ''): PgbenchSummary {
  const s: PgbenchSummary = { scripts: [], progress: [] };
  let script: ScriptStats | undefined;
  let countColumns = 0;
  for (const raw of `${stdout}\n${stderr}`.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const progress = parseProgressLine(line);
    if (progress) {
      s.progress.push(progress);
      continue;
    }
    const header = line.match(/^SQL script (\d+): (.*)$/);
    countColumns = statementCountColumns(line) ?? countColumns;
    if (header) {
      script = { index: num(header[1]), name: header[2], statements: [] };
      s.scripts.push(script);
    } else if (!script && /^statement latencies in milliseconds/.test(line)) {
      // -r with a single script: no "SQL script" header, the statements belong to script 1
      script = { index: 1, name: s.transactionType ?? '', statements: [] };
      s.scripts.push(script);
    } else if (script && /^(\s|$)/.test(line)) {
      parseScriptLine(line, script, countColumns);
    } else {
      script = undefined;
      parseSummaryLine(line, s);
    }
  }
  return s;
}

/** pg_perfbench's `pgbench_outputs` row: clients, duration, processed, latency average, initial connection time, tps. */
export function perfbenchResultRow(s: PgbenchSummary): Array<number | null> {
  return [
    s.clients ?? null,
    s.durationS ?? null,
    s.processed ?? null,
    s.latencyAvgMs ?? null,
    s.initialConnectionTimeMs ?? null,
    s.tps ?? s.tpsIncludingConnections ?? null,
  ];
}
