/**
 * Messages between the report viewer (webview/report) and its host, the custom editor. The same
 * viewer also runs inside an exported HTML file, which embeds a `ReportView` instead of posting it.
 */
import type { ReportSummary } from '../core/report/summary';
import type { DrillBlock, IterationResult } from '../core/report/model';
import type { ReportView } from '../core/report/view';
import { isArrayOf, isBareMessage, isNumberOrNull, isOptional, isRecord, isString } from './guards';

export type { ReportView };

/** webview → host */
export type ViewerToHost = { type: 'ready' } | { type: 'exportHtml' };

/** host → webview */
export type HostToViewer =
  | { type: 'report'; view: ReportView; fileName: string }
  | { type: 'error'; fileName: string; message: string; hint?: string };

export function isViewerToHost(m: unknown): m is ViewerToHost {
  return isBareMessage(m, ['ready', 'exportHtml']);
}

function isSummary(s: unknown): s is ReportSummary {
  const optionalString = isOptional(isString);
  return (
    isRecord(s) &&
    isString(s.name) &&
    isString(s.header) &&
    isString(s.when) &&
    optionalString(s.startedAt) &&
    optionalString(s.serverVersion) &&
    optionalString(s.host) &&
    isString(s.status) &&
    isString(s.iterName) &&
    isArrayOf(s.iterations, isRecord) &&
    isNumberOrNull(s.maxTps) &&
    typeof s.joined === 'boolean'
  );
}

const isKeyPair = (p: unknown): p is [string, string] =>
  Array.isArray(p) && p.length === 2 && isString(p[0]) && isString(p[1]);

/**
 * The report's outline is checked here; its items were validated by core's reader on the host and
 * the viewer draws every value as text, so a malformed item can only fail to draw (shown as an error).
 */
export function isReportView(v: unknown): v is ReportView {
  return (
    isRecord(v) &&
    isRecord(v.report) &&
    isString(v.report.report_name) &&
    isString(v.report.header) &&
    isRecord(v.report.sections) &&
    Object.values(v.report.sections).every((s) => isRecord(s) && isRecord(s.reports)) &&
    isSummary(v.summary) &&
    isArrayOf(v.joinedItems, isKeyPair) &&
    isOptional((c: unknown) => isArrayOf(c, isRecord))(v.cells)
  );
}

export function isHostToViewer(m: unknown): m is HostToViewer {
  if (!isRecord(m) || !isString(m.fileName)) return false;
  if (m.type === 'report') return isReportView(m.view);
  return m.type === 'error' && isString(m.message) && isOptional(isString)(m.hint);
}

/**
 * What one iteration ran, for a legend or an axis: the swept settings of its cell, its duration in a
 * duration sweep, its clients otherwise, and which run of the value when values were repeated.
 */
export function iterationLabel(i: IterationResult, iterName: string): string {
  const what =
    iterName === 'pgbench_time' ? `${i.durationS ?? i.value} s, ${i.clients} clients` : `${i.clients} clients`;
  const cell = cellLabel(i.settings);
  return `${cell ? `${cell}, ` : ''}${i.repeat === undefined ? what : `${what}, run ${i.repeat + 1}`}`;
}

/** Swept settings as people read them: `work_mem=64kB, jit=off`; empty without settings. */
export function cellLabel(settings: Record<string, string> | undefined): string {
  return Object.entries(settings ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

const drillSeconds = (ms: number | undefined): string =>
  ms === undefined ? 'not measured' : `${(ms / 1000).toFixed(2)} s`;

/** A drill's measures as rows a person reads, in the order a post-mortem asks for them (report, CLI and viewer). */
export function drillMeasureRows(d: DrillBlock): Array<[string, string]> {
  return [
    ['event', d.event === 'switchover' ? 'switchover (Patroni REST)' : `failover (${d.method})`],
    ['leader', `${d.leaderBefore} → ${d.leaderAfter ?? '?'}`],
    ['timeline', `${d.timelineBefore ?? '?'} → ${d.timelineAfter ?? '?'}`],
    ['write gap', drillSeconds(d.writeGapMs)],
    ['time to reconnect', drillSeconds(d.reconnectMs)],
    ['leader running again after', drillSeconds(d.settledMs)],
    ['acknowledged writes', String(d.acknowledged)],
    ['lost writes (acknowledged, missing on the new leader)', String(d.lost)],
    [
      'failed inserts (outcome unknown to the application)',
      `${d.failed}: ${d.inDoubt.present} committed anyway, ${d.inDoubt.absent} not`,
    ],
    ['failed connection attempts', String(d.failedConnects)],
    ['synchronous_mode', d.synchronousMode ? 'on' : 'off'],
  ];
}

/** One sentence: who led before and after, how long writes stopped, whether acknowledged writes were lost. */
export function drillSentence(d: DrillBlock): string {
  const gap =
    d.writeGapMs === undefined ? 'the write gap was not measured' : `writes stopped for ${drillSeconds(d.writeGapMs)}`;
  const lost =
    d.lost === 0
      ? 'no acknowledged write was lost'
      : `${d.lost} acknowledged write${d.lost === 1 ? ' was' : 's were'} lost`;
  return `${d.event === 'switchover' ? 'Switchover' : 'Failover'} ${d.leaderBefore} → ${d.leaderAfter ?? '?'}: ${gap}; ${lost}.`;
}
