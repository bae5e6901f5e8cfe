/**
 * Why two runs differ: throughput and latency with a confidence interval and a significance test,
 * the shift of the wait-event profile, the statements that moved (per call, by queryid), the
 * settings, system facts and pgbench options that differ, and a few sentences that say so, built
 * by rules from those numbers. Works on a cell of each report: the iterations at one sweep value
 * (several when the sweep repeated it).
 */
import { PgOpsError } from '../errors';
import { jsonEqual } from './compare';
import type { IterationResult, JsonValue, Report } from './model';
import { isJoinedItem } from './model';
import { cellLabel, isMeasured, measuredValues } from './repeats';
import { settingRelevance } from './settingRelevance';
import type { SampleSummary } from './stats';
import { batchMeans, summarize, welch } from './stats';
import { reportIterations, summarizeReport } from './summary';

export interface CompareOptions {
  /** The sweep value (clients, or seconds) whose iterations are compared; default the largest shared one. */
  value?: number;
  /**
   * Half-width of the band around B/A = 1 that counts as noise (default 0.02): a difference is called
   * significant only when the whole 95% interval of B/A lies outside 1 ± noise.
   */
  noise?: number;
  /**
   * The cell of a settings sweep to take from A and from B (setting → value as SHOW gave it). Required
   * for a report that swept settings; with both cells from one report, its two cells are compared.
   */
  cells?: { a?: Record<string, string>; b?: Record<string, string> };
}

export type TestMethod = 'welch-repeats' | 'welch-batch-means';

export interface MetricComparison {
  /** the means */
  a: number;
  b: number;
  /** every side's runs: count, mean, standard deviation, 95% interval of the mean */
  samples: { a: SampleSummary; b: SampleSummary };
  /** mean(b) / mean(a) */
  ratio: number;
  /** 95% interval of the ratio (the difference's interval over mean(a)); null when no test was possible */
  ci95: [number, number] | null;
  /**
   * whether the 95% interval of B/A lies wholly outside 1 ± noise; null when the data allow no test
   * (one run each and too short a per-second series)
   */
  significant: boolean | null;
  p: number | null;
  method: TestMethod | null;
  /** what the test was run on, in words */
  basis: string;
}

export interface WaitShift {
  /** `type:event`, or CPU:Running for active sessions not waiting */
  event: string;
  /** shares of all samples, in percent */
  a: number;
  b: number;
  /** b - a, percentage points */
  deltaPp: number;
}

export interface StatementSide {
  calls: number;
  meanMs: number;
  rowsPerCall: number;
  sharedBlksHitPerCall: number | null;
  sharedBlksReadPerCall: number | null;
  tempBlksWrittenPerCall: number | null;
  walBytesPerCall: number | null;
}

export interface StatementShift {
  queryid: string | null;
  query: string;
  a: StatementSide | null;
  b: StatementSide | null;
  /** mean time per call, b against a, in percent; null when the statement ran on one side only */
  meanChangePct: number | null;
}

export interface SettingDifference {
  name: string;
  a: string | null;
  b: string | null;
  /** why it is ranked where it is: what in the measurements points at it, or that it commonly matters */
  relevance: string | null;
}

export interface FactDifference {
  /** e.g. `system.cpu_info`, `pgbench.clients` */
  item: string;
  a: string;
  b: string;
}

export interface RunComparison {
  a: { name: string; iterations: number[]; status: string };
  b: { name: string; iterations: number[]; status: string };
  iterName: string;
  value: number;
  /** other sweep values both reports have */
  otherValues: number[];
  tps: MetricComparison;
  latency: MetricComparison | null;
  waits: WaitShift[];
  statements: StatementShift[];
  settings: SettingDifference[];
  facts: FactDifference[];
  summary: string[];
}

const valuesOf = (its: IterationResult[]) => [...new Set(its.map((it) => it.value))].sort((x, y) => x - y);

function refuseJoined(report: Report, file: string): void {
  if (summarizeReport(report).joined)
    throw new PgOpsError(
      'compare-input',
      `${file} is a merged report of a join`,
      'Compare the reports it was joined from (their files are listed in its join block).',
    );
}

function cellOf(its: IterationResult[], file: string, value: number, iterName: string): IterationResult[] {
  const cell = its.filter((it) => isMeasured(it) && it.value === value);
  if (!cell.length)
    throw new PgOpsError(
      'compare-input',
      `${file} has no complete iteration at ${iterName} ${value}`,
      `Its values: ${valuesOf(its).join(', ') || 'none'}.`,
    );
  return cell;
}

const sameText = (x: string | undefined, y: string) => x !== undefined && x.toLowerCase() === y.toLowerCase();

/**
 * The iterations of a report in the chosen cell of its settings sweep: all of them when it swept no
 * settings (and no cell was asked for). A sweep with several cells needs one named.
 */
function settingsCell(
  report: Report,
  file: string,
  side: 'a' | 'b',
  cell: Record<string, string> | undefined,
): IterationResult[] {
  const all = reportIterations(report);
  const labels = [...new Set(all.filter((it) => it.settings).map((it) => cellLabel(it.settings)))];
  if (!cell) {
    if (labels.length > 1)
      throw new PgOpsError(
        'compare-input',
        `${file} swept server settings: choose the cell to compare with --${side}`,
        `Its cells: ${labels.join(' | ')} (e.g. --${side} ${labels[0].split(', ')[0]}).`,
      );
    return all;
  }
  const picked = all.filter((it) =>
    Object.entries(cell).every(([k, v]) => sameText(it.settings?.[k.toLowerCase()], v)),
  );
  if (!picked.length)
    throw new PgOpsError(
      'compare-input',
      `${file} has no iteration with ${cellLabel(cell)}`,
      labels.length
        ? `Its cells: ${labels.join(' | ')} (the values as SHOW gave them).`
        : 'It swept no server settings.',
    );
  return picked;
}

/** The per-second values of a cell's single iteration, without the first second (connections, warm-up). */
function perSecond(cell: IterationResult[], pick: (p: { tps: number; latencyMs: number }) => number): number[] {
  return cell.length === 1 ? (cell[0].series ?? []).slice(1).map(pick) : [];
}

const batches = 5;
const minSeriesPoints = 10;

function compareMetric(
  a: IterationResult[],
  b: IterationResult[],
  pick: (it: IterationResult) => number | null,
  pickPoint: (p: { tps: number; latencyMs: number }) => number,
  noise: number,
): MetricComparison | null {
  const va = a.map(pick).filter((x): x is number => x !== null);
  const vb = b.map(pick).filter((x): x is number => x !== null);
  if (!va.length || !vb.length) return null;
  const sa = summarize(va);
  const sb = summarize(vb);
  const ratio = sb.mean / sa.mean;
  let method: TestMethod | null = null;
  let test = welch(va, vb);
  let basis = `${va.length} and ${vb.length} runs`;
  if (test) method = 'welch-repeats';
  else {
    const pa = perSecond(a, pickPoint);
    const pb = perSecond(b, pickPoint);
    if (pa.length >= minSeriesPoints && pb.length >= minSeriesPoints) {
      test = welch(batchMeans(pa, batches), batchMeans(pb, batches));
      method = 'welch-batch-means';
      basis = `means of ${batches} batches of the per-second series (${pa.length} and ${pb.length} s), one run each`;
    } else basis = `one run each and fewer than ${minSeriesPoints + 1} progress seconds: no test possible`;
  }
  const means = { a: round(sa.mean, 4), b: round(sb.mean, 4), samples: { a: sa, b: sb } };
  if (!test) return { ...means, ratio, ci95: null, significant: null, p: null, method: null, basis };
  const lo = 1 + (test.diff - test.ci95) / sa.mean;
  const hi = 1 + (test.diff + test.ci95) / sa.mean;
  return {
    ...means,
    ratio,
    ci95: [lo, hi],
    significant: lo > 1 + noise || hi < 1 - noise,
    p: test.p,
    method,
    basis,
  };
}

function waitShares(cell: IterationResult[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const it of cell)
    for (const w of it.waitEvents ?? [])
      counts.set(`${w.type}:${w.event}`, (counts.get(`${w.type}:${w.event}`) ?? 0) + w.samples);
  const total = [...counts.values()].reduce((x, y) => x + y, 0);
  return new Map([...counts].map(([k, v]) => [k, total ? (100 * v) / total : 0]));
}

function compareWaits(a: IterationResult[], b: IterationResult[]): WaitShift[] {
  const sa = waitShares(a);
  const sb = waitShares(b);
  return [...new Set([...sa.keys(), ...sb.keys()])]
    .map((event) => {
      const x = sa.get(event) ?? 0;
      const y = sb.get(event) ?? 0;
      return { event, a: round(x, 2), b: round(y, 2), deltaPp: round(y - x, 2) };
    })
    .sort((x, y) => Math.abs(y.deltaPp) - Math.abs(x.deltaPp) || y.b - x.b || x.event.localeCompare(y.event));
}

interface StatementTotals {
  query: string;
  calls: number;
  totalMs: number;
  rows: number;
  sharedBlksHit: number | null;
  sharedBlksRead: number | null;
  tempBlksWritten: number | null;
  walBytes: number | null;
}

const addOptional = (x: number | null, y: number | undefined) => (x === null || y === undefined ? null : x + y);

function statementTotals(cell: IterationResult[]): Map<string, StatementTotals> {
  const out = new Map<string, StatementTotals>();
  for (const it of cell)
    for (const s of it.topStatements ?? []) {
      const key = s.queryid ?? `text:${s.query}`;
      const t = out.get(key);
      if (!t) {
        out.set(key, {
          query: s.query,
          calls: s.calls,
          totalMs: s.totalMs,
          rows: s.rows,
          sharedBlksHit: s.sharedBlksHit ?? null,
          sharedBlksRead: s.sharedBlksRead ?? null,
          tempBlksWritten: s.tempBlksWritten ?? null,
          walBytes: s.walBytes ?? null,
        });
        continue;
      }
      t.calls += s.calls;
      t.totalMs += s.totalMs;
      t.rows += s.rows;
      t.sharedBlksHit = addOptional(t.sharedBlksHit, s.sharedBlksHit);
      t.sharedBlksRead = addOptional(t.sharedBlksRead, s.sharedBlksRead);
      t.tempBlksWritten = addOptional(t.tempBlksWritten, s.tempBlksWritten);
      t.walBytes = addOptional(t.walBytes, s.walBytes);
    }
  return out;
}

function side(t: StatementTotals | undefined): StatementSide | null {
  if (!t || t.calls <= 0) return null;
  const per = (v: number | null) => (v === null ? null : round(v / t.calls, 3));
  return {
    calls: t.calls,
    meanMs: round(t.totalMs / t.calls, 4),
    rowsPerCall: round(t.rows / t.calls, 3),
    sharedBlksHitPerCall: per(t.sharedBlksHit),
    sharedBlksReadPerCall: per(t.sharedBlksRead),
    tempBlksWrittenPerCall: per(t.tempBlksWritten),
    walBytesPerCall: per(t.walBytes),
  };
}

/** Statements by queryid, ranked by how much their time per call moved, weighted by how often they ran. */
function compareStatements(a: IterationResult[], b: IterationResult[]): StatementShift[] {
  const ta = statementTotals(a);
  const tb = statementTotals(b);
  const weight = (s: StatementShift) => {
    const ma = s.a?.meanMs ?? 0;
    const mb = s.b?.meanMs ?? 0;
    return (
      Math.abs(mb * (s.b?.calls ?? 0) - ma * (s.a?.calls ?? 0)) +
      Math.abs(mb - ma) * Math.max(s.a?.calls ?? 0, s.b?.calls ?? 0)
    );
  };
  return [...new Set([...ta.keys(), ...tb.keys()])]
    .map((key) => {
      const sa = side(ta.get(key));
      const sb = side(tb.get(key));
      return {
        queryid: key.startsWith('text:') ? null : key,
        query: (tb.get(key) ?? ta.get(key))!.query,
        a: sa,
        b: sb,
        meanChangePct: sa && sb && sa.meanMs > 0 ? round((100 * (sb.meanMs - sa.meanMs)) / sa.meanMs, 1) : null,
      };
    })
    .sort((x, y) => weight(y) - weight(x));
}

/** name → the setting as the server shows it with its unit (`64kB`, `200ms`), from the db section's pg_settings. */
export function reportSettings(report: Report): Map<string, string> {
  const item = report.sections.db?.reports.pg_settings;
  const out = new Map<string, string>();
  if (!item || !Array.isArray(item.data) || isJoinedItem(item)) return out;
  const h = item.theader ?? [];
  const at = (name: string, fallback: number) => (h.includes(name) ? h.indexOf(name) : fallback);
  const [ni, si, ui] = [at('name', 0), at('setting', 1), h.indexOf('unit')];
  for (const row of item.data) {
    if (!Array.isArray(row) || typeof row[ni] !== 'string') continue;
    const setting = row[si];
    const unit = ui >= 0 ? row[ui] : null;
    const value =
      setting === null || setting === undefined ? '' : typeof setting === 'string' ? setting : JSON.stringify(setting);
    out.set(row[ni], withUnit(value, typeof unit === 'string' ? unit : ''));
  }
  return out;
}

const memoryUnits: Array<[string, number]> = [
  ['TB', 1024 ** 4],
  ['GB', 1024 ** 3],
  ['MB', 1024 ** 2],
  ['kB', 1024],
  ['B', 1],
];

/** A pg_settings value in the units postgresql.conf takes: 8192 × 8kB → 64MB, 65536 kB → 64MB. */
export function withUnit(setting: string, unit: string): string {
  if (!unit || !/^-?\d+$/.test(setting)) return `${setting}${unit}`;
  const m = unit.match(/^(\d*)(B|kB|MB|GB|TB)$/);
  if (!m) return `${setting}${unit}`;
  const bytes = Number(setting) * (m[1] ? Number(m[1]) : 1) * memoryUnits.find(([u]) => u === m[2])![1];
  if (bytes <= 0) return `${setting}${unit}`;
  const [u, size] = memoryUnits.find(([, s]) => bytes % s === 0)!;
  return `${bytes / size}${u}`;
}

/** A report's name, with the cell of its settings sweep: `matrix [work_mem=64kB]`. */
const sideName = (r: Report, cell: IterationResult[]) =>
  cell[0].settings ? `${r.report_name} [${cellLabel(cell[0].settings)}]` : r.report_name;

/** The settings of a side: the report's pg_settings, with the values its cell swept. */
function sideSettings(r: Report, cell: IterationResult[]): Map<string, string> {
  const out = reportSettings(r);
  for (const [k, v] of Object.entries(cell[0].settings ?? {})) out.set(k, v);
  return out;
}

function compareSettings(
  ra: Report,
  rb: Report,
  ca: IterationResult[],
  cb: IterationResult[],
  signals: Set<string>,
): SettingDifference[] {
  const sa = sideSettings(ra, ca);
  const sb = sideSettings(rb, cb);
  if (!sa.size || !sb.size) return [];
  const out: Array<SettingDifference & { rank: number }> = [];
  for (const name of new Set([...sa.keys(), ...sb.keys()])) {
    const a = sa.get(name) ?? null;
    const b = sb.get(name) ?? null;
    if (a === b) continue;
    const r = settingRelevance(name, signals);
    out.push({ name, a, b, relevance: r.why, rank: r.rank });
  }
  return out.sort((x, y) => y.rank - x.rank || x.name.localeCompare(y.name)).map(({ rank: _rank, ...d }) => d);
}

/** The pgbench options and system facts that differ (not the run's identity: name, description, time). */
function compareFacts(ra: Report, rb: Report, ca: IterationResult[], cb: IterationResult[]): FactDifference[] {
  const out: FactDifference[] = [];
  const text = (v: JsonValue | undefined) =>
    v === undefined ? '(missing)' : typeof v === 'string' ? v : JSON.stringify(v);
  const clip = (s: string) => (s.length > 120 ? `${s.slice(0, 119)}…` : s);
  const planA = (ra.pgops?.plan ?? {}) as Record<string, JsonValue>;
  const planB = (rb.pgops?.plan ?? {}) as Record<string, JsonValue>;
  for (const k of new Set([...Object.keys(planA), ...Object.keys(planB)])) {
    if (['reportName', 'description', 'values'].includes(k) || jsonEqual(planA[k], planB[k])) continue;
    out.push({ item: `pgbench.${k}`, a: clip(text(planA[k])), b: clip(text(planB[k])) });
  }
  const firstArgs = (c: IterationResult[]) => c[0].commandLine?.join(' ');
  if (firstArgs(ca) !== undefined && firstArgs(cb) !== undefined && firstArgs(ca) !== firstArgs(cb))
    out.push({ item: 'pgbench.commandLine', a: clip(firstArgs(ca)!), b: clip(firstArgs(cb)!) });
  for (const section of ['system', 'db']) {
    const ia = ra.sections[section]?.reports ?? {};
    const ib = rb.sections[section]?.reports ?? {};
    for (const k of new Set([...Object.keys(ia), ...Object.keys(ib)])) {
      if (k === 'pg_settings' || jsonEqual(ia[k]?.data, ib[k]?.data)) continue;
      out.push({ item: `${section}.${k}`, a: clip(text(ia[k]?.data)), b: clip(text(ib[k]?.data)) });
    }
  }
  return out;
}

/** What the measurements point at, for ranking settings: temp files, reads, WAL, lock waits. */
function signalsOf(waits: WaitShift[], statements: StatementShift[]): Set<string> {
  const signals = new Set<string>();
  const moved = (w: WaitShift) => Math.abs(w.deltaPp) >= 2 || Math.max(w.a, w.b) >= 10;
  for (const w of waits.filter(moved)) {
    const [type, event] = w.event.split(':');
    if (type === 'IO' && /Wal|WAL/.test(event)) signals.add('wal');
    else if (type === 'IO' && /BufFile/.test(event)) signals.add('temp');
    else if (type === 'IO') signals.add('reads');
    else if (type === 'LWLock' && /WAL/i.test(event)) signals.add('wal');
    else if (type === 'LWLock' || type === 'Lock') signals.add('contention');
    else if (type === 'CPU') signals.add('cpu');
  }
  for (const s of statements) {
    const t = [s.a?.tempBlksWrittenPerCall ?? 0, s.b?.tempBlksWrittenPerCall ?? 0];
    if (Math.max(...t) > 0) signals.add('temp');
    if (Math.max(s.a?.walBytesPerCall ?? 0, s.b?.walBytesPerCall ?? 0) > 0) signals.add('wal');
    if (Math.max(s.a?.sharedBlksReadPerCall ?? 0, s.b?.sharedBlksReadPerCall ?? 0) > 0) signals.add('reads');
  }
  return signals;
}

const pct = (ratio: number) => `${Math.abs(Math.round((ratio - 1) * 1000) / 10)}%`;
const short = (q: string) => {
  const one = q.replace(/\s+/g, ' ').trim();
  return one.length > 60 ? `${one.slice(0, 59)}…` : one;
};

function metricSentence(what: string, m: MetricComparison, higherIsBetter: boolean): string {
  const worse = higherIsBetter ? m.ratio < 1 : m.ratio > 1;
  const word = higherIsBetter ? (worse ? 'slower' : 'faster') : worse ? 'higher' : 'lower';
  const spread = m.ci95 ? ` ± ${Math.round(((m.ci95[1] - m.ci95[0]) / 2) * 1000) / 10}%` : '';
  const verdict =
    m.significant === null
      ? `not tested: ${m.basis}`
      : `${m.significant ? 'significant' : 'not significant'}, p = ${formatP(m.p!)}, Welch's t-test on ${m.basis}`;
  if (higherIsBetter) return `B is ${pct(m.ratio)}${spread} ${word} than A in ${what} (${verdict}).`;
  return `B's ${what} is ${pct(m.ratio)}${spread} ${word} than A's (${verdict}).`;
}

export function formatP(p: number): string {
  if (p < 0.001) return '< 0.001';
  return String(Math.round(p * 1000) / 1000);
}

function summarySentences(c: Omit<RunComparison, 'summary'>): string[] {
  const out = [metricSentence('throughput', c.tps, true)];
  if (c.latency && c.latency.significant) out.push(metricSentence('average latency', c.latency, false));
  const movers = c.waits.filter((w) => Math.abs(w.deltaPp) >= 5).slice(0, 2);
  if (movers.length)
    out.push(
      `Waits shifted: ${movers.map((w) => `${w.event} ${w.deltaPp > 0 ? '+' : ''}${w.deltaPp} pp (${w.a}% → ${w.b}%)`).join('; ')}.`,
    );
  const stmts: string[] = [];
  // only statements that take a real share of the time: not the observers' own few queries
  const total = (pick: (s: StatementShift) => StatementSide | null) =>
    c.statements.reduce((sum, s) => sum + (pick(s)?.meanMs ?? 0) * (pick(s)?.calls ?? 0), 0);
  const [totalA, totalB] = [total((s) => s.a), total((s) => s.b)];
  const share = (x: StatementSide | null, sum: number) => (x && sum > 0 ? (x.meanMs * x.calls) / sum : 0);
  for (const s of c.statements.slice(0, 5)) {
    if (stmts.length >= 2) break;
    if (Math.max(share(s.a, totalA), share(s.b, totalB)) < 0.05) continue;
    const ta = s.a?.tempBlksWrittenPerCall ?? null;
    const tb = s.b?.tempBlksWrittenPerCall ?? null;
    const tempMoved =
      ta !== null &&
      tb !== null &&
      (ta > 0 || tb > 0) &&
      (Math.min(ta, tb) === 0 || Math.max(ta, tb) / Math.min(ta, tb) >= 2);
    const meanMoved = s.meanChangePct !== null && Math.abs(s.meanChangePct) >= 20;
    if (!tempMoved && !meanMoved) continue;
    const parts: string[] = [];
    if (meanMoved)
      parts.push(
        `mean time ${s.meanChangePct! > 0 ? '+' : ''}${s.meanChangePct}% (${s.a!.meanMs} → ${s.b!.meanMs} ms)`,
      );
    if (tempMoved) parts.push(`temp blocks written per call ${ta} → ${tb}`);
    stmts.push(`statement '${short(s.query)}': ${parts.join(', ')}`);
  }
  if (stmts.length) out.push(`${stmts.join('; ')}.`);
  const settings = c.settings.filter((s) => s.relevance).slice(0, 3);
  if (settings.length) {
    const listed = settings.map((s) => `${s.name} ${s.a ?? '(unset)'} → ${s.b ?? '(unset)'}`).join(', ');
    const more = c.settings.length - settings.length;
    out.push(`Settings differ: ${listed}${more > 0 ? ` (and ${more} more)` : ''}.`);
  } else if (c.settings.length)
    out.push(`${c.settings.length} settings differ, none known to matter for this workload.`);
  const pgbench = c.facts.filter((f) => f.item.startsWith('pgbench.'));
  if (pgbench.length) out.push(`pgbench options differ: ${pgbench.map((f) => f.item.slice(8)).join(', ')}.`);
  const system = c.facts.filter((f) => !f.item.startsWith('pgbench.'));
  if (system.length) out.push(`System or database facts differ: ${system.map((f) => f.item).join(', ')}.`);
  return out;
}

export function compareRuns(
  ra: Report,
  rb: Report,
  files: { a: string; b: string },
  o: CompareOptions = {},
): RunComparison {
  refuseJoined(ra, files.a);
  refuseJoined(rb, files.b);
  const sa = summarizeReport(ra);
  const sb = summarizeReport(rb);
  if (sa.iterName !== sb.iterName)
    throw new PgOpsError(
      'compare-input',
      `${files.a} sweeps ${sa.iterName} and ${files.b} sweeps ${sb.iterName}`,
      'Compare two reports that sweep the same thing (clients, or duration).',
    );
  const [itsA, itsB] = [settingsCell(ra, files.a, 'a', o.cells?.a), settingsCell(rb, files.b, 'b', o.cells?.b)];
  const [doneA, doneB] = [measuredValues(itsA), measuredValues(itsB)];
  const shared = doneA.filter((v) => doneB.includes(v));
  const value = o.value ?? shared[shared.length - 1];
  if (value === undefined)
    throw new PgOpsError(
      'compare-input',
      `${files.a} and ${files.b} have no ${sa.iterName} value in common ` +
        `(${doneA.join(', ') || 'none'} against ${doneB.join(', ') || 'none'})`,
      'Name the values to compare with --value, or compare reports of the same sweep.',
    );
  const ca = cellOf(itsA, files.a, value, sa.iterName);
  const cb = cellOf(itsB, files.b, value, sa.iterName);
  const noise = o.noise ?? 0.02;
  const tps = compareMetric(
    ca,
    cb,
    (it) => it.tps,
    (p) => p.tps,
    noise,
  )!;
  const latency = compareMetric(
    ca,
    cb,
    (it) => it.latencyAvgMs,
    (p) => p.latencyMs,
    noise,
  );
  const waits = compareWaits(ca, cb);
  const statements = compareStatements(ca, cb);
  const base = {
    a: { name: sideName(ra, ca), iterations: ca.map((it) => it.index), status: sa.status },
    b: { name: sideName(rb, cb), iterations: cb.map((it) => it.index), status: sb.status },
    iterName: sa.iterName,
    value,
    otherValues: shared.filter((v) => v !== value),
    tps,
    latency,
    waits,
    statements,
    settings: compareSettings(ra, rb, ca, cb, signalsOf(waits, statements)),
    facts: compareFacts(ra, rb, ca, cb),
  };
  return { ...base, summary: summarySentences(base) };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
