/**
 * Statement detail: every counter of one pg_stat_statements entry, a chart of its deltas over the
 * session, and the full SQL with Open in editor / EXPLAIN (GENERIC_PLAN). All data rendered as text.
 */
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import type { HostToStatement, StatementToHost, StatementView } from '../../src/protocol/statement';
import { isHostToStatement } from '../../src/protocol/statement';
import { onThemeChange, recolor, staticChartOptions, themeForeground } from '../shared/chart';
import { el } from '../shared/dom';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip);

declare function acquireVsCodeApi(): { postMessage(msg: StatementToHost): void };
const vscode = acquireVsCodeApi();

const app = document.getElementById('app') ?? document.body;
const title = el('h2', 'Statement');
const summary = el('p', '', 'muted');
const actions = el('div');
const openBtn = el('button', 'Open in editor');
const explainBtn = el('button', 'EXPLAIN (GENERIC_PLAN)');
actions.append(openBtn, explainBtn);
const sql = el('pre');
const planTitle = el('h3', 'Generic plan');
const plan = el('pre');
const chartTitle = el('h3', 'Deltas over this session');
const chartBox = el('div', undefined, 'chart');
const canvas = el('canvas');
chartBox.appendChild(canvas);
const chartNote = el('p', '', 'muted');
const countersTitle = el('h3', 'Counters');
const counters = el('table');
const error = el('p', '', 'error');
planTitle.hidden = true;
plan.hidden = true;
app.append(
  title,
  summary,
  actions,
  error,
  sql,
  planTitle,
  plan,
  chartTitle,
  chartNote,
  chartBox,
  countersTitle,
  counters,
);
openBtn.addEventListener('click', () => vscode.postMessage({ type: 'openInEditor' }));
explainBtn.addEventListener('click', () => {
  explainBtn.disabled = true;
  vscode.postMessage({ type: 'explain' });
});

let chart: Chart<'line', Array<{ x: number; y: number }>> | undefined;
onThemeChange(() => {
  if (chart) recolor(chart);
});

function fmt(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString() : n.toLocaleString(undefined, { maximumFractionDigits: 3 });
}

function show(
  s: StatementView,
  points: Array<{ at: number; calls: number; totalMs: number }>,
  canExplain: boolean,
  note?: string,
): void {
  title.textContent = `Statement ${s.queryid ?? '(no queryid)'}`;
  summary.textContent = [
    `${fmt(s.calls)} calls`,
    `${fmt(s.totalMs)} ms total`,
    `${fmt(s.meanMs)} ms mean`,
    `${fmt(s.rows)} rows`,
    `${s.sharePct.toFixed(1)}% of time`,
    `${s.user ?? '?'}@${s.database ?? '?'}`,
    ...(s.toplevel === false ? ['nested'] : []),
    ...(s.statsSince ? [`since ${s.statsSince}`] : []),
  ].join(' · ');
  sql.textContent = s.query ?? '(query text not available: the role lacks pg_read_all_stats, or texts were discarded)';
  explainBtn.disabled = !canExplain;
  explainBtn.title = note ?? '';
  counters.replaceChildren(
    ...[...Object.entries(s.counters), ...Object.entries(s.gauges)].map(([k, v]) => {
      const tr = el('tr');
      tr.append(el('th', k), el('td', fmt(v), 'num'));
      return tr;
    }),
  );
  const fg = themeForeground();
  const t0 = points[0]?.at ?? 0;
  const data = (f: (p: { calls: number; totalMs: number }) => number) =>
    points.map((p) => ({ x: (p.at - t0) / 1000, y: f(p) }));
  chartNote.textContent = points.length
    ? `${points.length} interval(s); refresh the Query Stats view in "now" mode (or set an auto-refresh interval) to add more.`
    : 'No deltas yet: switch Query Stats to "now" mode and refresh it to collect snapshots.';
  chart?.destroy();
  chart = new Chart(canvas, {
    type: 'line',
    data: {
      datasets: [
        { label: 'calls per interval', data: data((p) => p.calls), borderColor: '#3794ff', yAxisID: 'y' },
        { label: 'ms per interval', data: data((p) => p.totalMs), borderColor: '#f14c4c', yAxisID: 'y1' },
      ],
    },
    options: {
      ...staticChartOptions,
      scales: {
        x: { type: 'linear', title: { display: true, text: 'seconds', color: fg }, ticks: { color: fg } },
        y: { beginAtZero: true, position: 'left', ticks: { color: fg } },
        y1: { beginAtZero: true, position: 'right', ticks: { color: fg }, grid: { drawOnChartArea: false } },
      },
      plugins: { legend: { labels: { color: fg } } },
    },
  });
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  const m: unknown = e.data;
  if (!isHostToStatement(m)) return;
  const msg: HostToStatement = m;
  if (msg.type === 'show') show(msg.statement, msg.points, msg.canExplain, msg.explainNote);
  else if (msg.type === 'plan') {
    planTitle.hidden = false;
    plan.hidden = false;
    plan.textContent = msg.text;
    explainBtn.disabled = false;
    error.textContent = '';
  } else {
    error.textContent = msg.message;
    explainBtn.disabled = false;
  }
});
vscode.postMessage({ type: 'ready' });
