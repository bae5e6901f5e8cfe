/** The whole report view: summary, results table, charts, then the environment sections. */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { IterationResult, Report } from '../../src/core/report/model';
import type { ReportSummary } from '../../src/core/report/summary';
import type { ReportView } from '../../src/protocol/report';
import { cellLabel } from '../../src/protocol/report';
import type { NamedResults } from './charts';
import { destroyCharts, latencyChart, perSecondCharts, tpsChart, waitEventChart } from './charts';
import { formatNumber, h } from './dom';
import { drillSection } from './drill';
import { cdfChart, cellWaitChart, settingHeatmaps, settingTpsChart, sweptSettings } from './matrix';
import { renderSections } from './sections';
import type { Column } from './table';
import { sortableTable } from './table';

/** "pgops-redact/1: 3 values (setting-command 2, role-password 1)": which rules hid how much. */
function redactionSummary(report: Report): string | undefined {
  const r = report.pgops?.redaction;
  if (!r) return undefined;
  const counts = Object.entries(r.counts);
  const total = counts.reduce((a, [, n]) => a + n, 0);
  return total
    ? `${r.ruleSet}: ${total} values (${counts.map(([rule, n]) => `${rule} ${n}`).join(', ')})`
    : `${r.ruleSet}: nothing to hide`;
}

function summaryList(report: Report, s: ReportSummary, fileName: string): HTMLElement {
  const rows: Array<[string, string | undefined]> = [
    ['File', fileName],
    ['When', s.startedAt ? new Date(s.startedAt).toLocaleString() : s.when],
    ['Server', s.serverVersion],
    ['Host', s.host],
    ['Iterations', s.iterations.length ? String(s.iterations.length) : undefined],
    ['Best tps', s.maxTps === null ? undefined : formatNumber(s.maxTps, 1)],
    ['Redacted', redactionSummary(report)],
  ];
  const dl = h('dl', { class: 'summary' });
  for (const [k, v] of rows) if (v) dl.append(h('dt', {}, k), h('dd', {}, v));
  const badge = h('vscode-badge', { class: `status status-${s.status}` }, s.joined ? 'joined' : s.status);
  return h('header', {}, h('h1', {}, report.report_name, ' ', badge), h('p', { class: 'muted' }, report.header), dl);
}

const ms = (v: unknown) => (typeof v === 'number' ? formatNumber(v, 3) : '');
const num = (v: unknown) => (typeof v === 'number' ? formatNumber(v, 2) : '');

/** One row per iteration (per report and iteration in a join). */
function resultsTable(results: NamedResults[], iterName: string): HTMLElement {
  const multi = results.length > 1;
  const swept = results.some((r) => r.iterations.some((it) => it.settings));
  const cols: Column[] = [
    ...(multi ? [{ title: 'report' }] : []),
    ...(swept ? [{ title: 'settings' }] : []),
    { title: iterName, numeric: true },
    { title: 'clients', numeric: true },
    { title: 'tps', numeric: true, format: num },
    { title: 'latency avg (ms)', numeric: true, format: ms },
    { title: 'stddev (ms)', numeric: true, format: ms },
    { title: 'p50', numeric: true, format: ms },
    { title: 'p90', numeric: true, format: ms },
    { title: 'p95', numeric: true, format: ms },
    { title: 'p99', numeric: true, format: ms },
    { title: 'max', numeric: true, format: ms },
    { title: 'conn (ms)', numeric: true, format: ms },
    { title: 'processed', numeric: true },
    { title: 'failed', numeric: true },
    { title: 'skipped', numeric: true },
    { title: 'status' },
  ];
  const rows = results.flatMap((r) =>
    r.iterations.map((it: IterationResult) => [
      ...(multi ? [r.name] : []),
      ...(swept ? [cellLabel(it.settings)] : []),
      it.value,
      it.clients,
      it.tps,
      it.latencyAvgMs,
      it.latencyStddevMs,
      it.percentiles?.p50 ?? null,
      it.percentiles?.p90 ?? null,
      it.percentiles?.p95 ?? null,
      it.percentiles?.p99 ?? null,
      it.percentiles?.max ?? null,
      it.initialConnectionMs,
      it.processed,
      it.failed,
      it.skipped,
      it.error ? `${it.status}: ${it.error}` : it.status,
    ]),
  );
  return sortableTable(cols, rows, { className: 'results' });
}

export function renderReport(root: HTMLElement, view: ReportView, fileName: string): void {
  destroyCharts();
  const { report, summary: s } = view;
  const join = report.pgops?.join;
  const results: NamedResults[] = join ? join.results : [{ name: report.report_name, iterations: s.iterations }];
  const iterName = report.pgops?.iterName ?? s.iterName;
  const parts: Array<HTMLElement | undefined> = [summaryList(report, s, fileName)];
  if (report.pgops?.error) {
    parts.push(
      h(
        'div',
        { class: 'banner error', role: 'alert' },
        `Run ${report.pgops.status}: ${report.pgops.error.message}`,
        report.pgops.error.hint ? h('div', { class: 'hint' }, report.pgops.error.hint) : undefined,
      ),
    );
  }
  for (const note of report.pgops?.environmentNotes ?? []) parts.push(h('div', { class: 'banner note' }, note));
  if (join) {
    parts.push(
      h(
        'p',
        {},
        `Compared ${join.reports.length} reports against the reference "${join.reference}" with the task: ${join.task.description || '(no description)'}. `,
        `${join.matched.length} items matched, ${join.differing.length} differ.`,
      ),
    );
  }
  const hasResults = results.some((r) => r.iterations.length > 0);
  const drill = report.pgops?.drill;
  if (drill) parts.push(drillSection(drill));
  else if (hasResults) {
    parts.push(h('section', { class: 'results' }, h('h2', {}, 'Results'), resultsTable(results, iterName)));
    const matrix = !join && sweptSettings(s.iterations).length > 0;
    const charts: Array<HTMLElement | undefined> = [];
    // a settings sweep's runs of one client count differ by cell: drawn against the setting, not joined in run order
    if (matrix) charts.push(settingTpsChart(view.cells ?? [], iterName));
    else charts.push(tpsChart(results, iterName), latencyChart(results, iterName));
    if (!join) {
      charts.push(cdfChart(s.iterations, iterName), ...perSecondCharts(s.iterations, iterName));
      charts.push(matrix ? cellWaitChart(s.iterations, iterName) : waitEventChart(s.iterations, iterName));
    }
    const heatmaps = matrix ? settingHeatmaps(view.cells ?? [], iterName) : [];
    parts.push(
      h(
        'section',
        { class: 'charts' },
        h('h2', {}, 'Charts'),
        heatmaps.length ? h('div', { class: 'heatmaps' }, ...heatmaps) : undefined,
        h('div', { class: 'chart-grid' }, ...charts.filter((c): c is HTMLElement => !!c)),
      ),
    );
  } else {
    parts.push(h('p', { class: 'muted' }, 'This report has no benchmark results (an environment-only report).'));
  }
  parts.push(renderSections(report, view.joinedItems));
  root.replaceChildren(...parts.filter((p): p is HTMLElement => !!p));
}

export function renderError(root: HTMLElement, fileName: string, message: string, hint?: string): void {
  destroyCharts();
  root.replaceChildren(
    h(
      'div',
      { class: 'banner error load-error', role: 'alert' },
      h('h2', {}, 'This report cannot be shown'),
      h('p', {}, h('code', {}, fileName)),
      h('pre', { class: 'text' }, message),
      hint ? h('p', { class: 'hint' }, hint) : undefined,
    ),
  );
}
