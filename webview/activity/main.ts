/**
 * Activity panel: active sessions by wait-event type over the last minutes (a stacked area chart), the
 * blocking tree, and the sessions now. Every value from the host is rendered as text.
 */
import { Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import type { ActivityPanelState, ActivityToHost } from '../../src/protocol/activity';
import { isHostToActivity } from '../../src/protocol/activity';
import { onThemeChange, recolor, staticChartOptions, themeForeground } from '../shared/chart';
import { el } from '../shared/dom';

Chart.register(LineController, LineElement, PointElement, LinearScale, Filler, Legend, Tooltip);

declare function acquireVsCodeApi(): { postMessage(msg: ActivityToHost): void };
const vscode = acquireVsCodeApi();

const app = document.getElementById('app') ?? document.body;
const title = el('h2', 'Activity');
const note = el('p', '', 'muted');
const chartTitle = el('h3', 'Active sessions by wait type');
const chartBox = el('div', undefined, 'chart');
const canvas = el('canvas');
canvas.setAttribute('aria-label', 'Active sessions by wait-event type over the last minutes');
chartBox.appendChild(canvas);
const blockingTitle = el('h3', 'Blocking');
const blocking = el('pre', '', 'blocking');
const sessionsTitle = el('h3', 'Sessions');
const table = el('table', undefined, 'sessions');
app.append(title, note, chartTitle, chartBox, blockingTitle, blocking, sessionsTitle, table);

/** One colour per wait type, the same in every panel (unknown types get a grey). */
const colours: Record<string, string> = {
  CPU: '#4caf50',
  Lock: '#f14c4c',
  LWLock: '#ff9800',
  IO: '#3794ff',
  IPC: '#b180d7',
  Client: '#9e9e9e',
  Timeout: '#cca700',
  BufferPin: '#a1887f',
  Extension: '#26a69a',
  Activity: '#607d8b',
};

let chart: Chart<'line', Array<{ x: number; y: number }>> | undefined;
onThemeChange(() => {
  if (chart) recolor(chart);
});

function drawChart(s: ActivityPanelState): void {
  const fg = themeForeground();
  const newest = s.points.at(-1)?.at ?? 0;
  const datasets = s.types.map((type, i) => ({
    label: type,
    data: s.points.map((p) => ({ x: (p.at - newest) / 60_000, y: p.counts[type] ?? 0 })),
    borderColor: colours[type] ?? '#bdbdbd',
    backgroundColor: `${colours[type] ?? '#bdbdbd'}99`,
    fill: i === 0 ? ('origin' as const) : ('-1' as const),
    pointRadius: 0,
    stepped: true,
  }));
  if (chart) {
    chart.data.datasets = datasets;
    chart.update('none');
    return;
  }
  chart = new Chart(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      ...staticChartOptions,
      scales: {
        x: {
          type: 'linear',
          min: -s.windowMs / 60_000,
          max: 0,
          title: { display: true, text: 'minutes ago', color: fg },
          ticks: { color: fg },
        },
        y: {
          stacked: true,
          beginAtZero: true,
          ticks: { color: fg, precision: 0 },
          title: { display: true, text: 'sessions', color: fg },
        },
      },
      plugins: { legend: { labels: { color: fg } } },
    },
  });
}

function drawTable(s: ActivityPanelState): void {
  const head = el('tr');
  for (const h of [
    'pid',
    'user',
    'database',
    'application',
    'state',
    'wait',
    'query age',
    'xact age',
    'flags',
    'query',
  ])
    head.appendChild(el('th', h));
  const rows = s.sessions.map((r) => {
    const tr = el('tr', undefined, r.flags.length ? 'flagged' : undefined);
    tr.append(
      el('td', String(r.pid), 'num'),
      el('td', r.user ?? ''),
      el('td', r.database ?? ''),
      el('td', r.application ?? ''),
      el('td', r.state ?? ''),
      el('td', r.wait),
      el('td', r.queryAge, 'num'),
      el('td', r.xactAge, 'num'),
      el('td', r.flags.join(', '), r.flags.length ? 'warning' : undefined),
      el('td', r.query ?? '', 'mono'),
    );
    return tr;
  });
  table.replaceChildren(head, ...rows);
  sessionsTitle.textContent = `Sessions (${s.sessions.length})`;
}

function show(s: ActivityPanelState): void {
  title.textContent = s.title;
  note.textContent = `${new Date(s.readAt).toLocaleTimeString()} · ${s.note}`;
  drawChart(s);
  blocking.textContent = s.blocking.length
    ? s.blocking.map((l) => `${'   '.repeat(l.depth)}${l.depth ? '└ ' : ''}${l.text}`).join('\n')
    : 'No session waits for a lock.';
  drawTable(s);
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  const m: unknown = e.data;
  if (!isHostToActivity(m)) return;
  show(m.state);
});
vscode.postMessage({ type: 'ready' });
