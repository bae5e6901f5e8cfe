/**
 * Live view of a running pgbench sweep: per-second tps and latency of every iteration as pgbench
 * reports them (--progress), and a line per finished iteration. All data is rendered as text.
 */
import {
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Title,
  Tooltip,
} from 'chart.js';
import type { HostToLiveRun, LiveRunToHost } from '../../src/protocol/liveRun';
import { isHostToLiveRun } from '../../src/protocol/liveRun';
import { onThemeChange, recolor, staticChartOptions, themeForeground } from '../shared/chart';
import { el } from '../shared/dom';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip, Title);

declare function acquireVsCodeApi(): { postMessage(msg: LiveRunToHost): void };

const palette = [
  '#3794ff',
  '#f14c4c',
  '#89d185',
  '#cca700',
  '#b180d7',
  '#e8ab53',
  '#4ec9b0',
  '#d16969',
  '#569cd6',
  '#9cdcfe',
];

const app = document.getElementById('app') ?? document.body;
const title = el('h2', 'pgbench sweep');
const phase = el('p', 'waiting for the run to start…', 'phase');
const command = el('pre', '', 'command');
const tpsCanvas = el('canvas');
const latCanvas = el('canvas');
const results = el('ul', undefined, 'results');
const box = (c: HTMLCanvasElement) => {
  const d = el('div', undefined, 'chart');
  d.appendChild(c);
  return d;
};
app.append(title, phase, command, box(tpsCanvas), box(latCanvas), results);

function lineChart(canvas: HTMLCanvasElement, yTitle: string): Chart<'line', Array<{ x: number; y: number }>> {
  const fg = themeForeground();
  return new Chart(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      ...staticChartOptions,
      scales: {
        x: { type: 'linear', title: { display: true, text: 'seconds', color: fg }, ticks: { color: fg } },
        y: { beginAtZero: true, title: { display: true, text: yTitle, color: fg }, ticks: { color: fg } },
      },
      plugins: { legend: { labels: { color: fg } } },
    },
  });
}

const tpsChart = lineChart(tpsCanvas, 'tps');
const latChart = lineChart(latCanvas, 'latency (ms)');
onThemeChange(() => [tpsChart, latChart].forEach((c) => recolor(c)));
let iterName = 'clients';
const fmt = (n: number | null) => (n === null ? '–' : (Math.round(n * 100) / 100).toString());

function ensureSeries(index: number, value: number): void {
  for (const chart of [tpsChart, latChart]) {
    if (chart.data.datasets[index]) continue;
    const color = palette[index % palette.length];
    chart.data.datasets[index] = {
      label: `${iterName} ${value}`,
      data: [],
      borderColor: color,
      backgroundColor: color,
      pointRadius: 2,
    };
  }
}

const values: number[] = [];

function render(m: HostToLiveRun): void {
  switch (m.type) {
    case 'start':
      title.textContent = m.title;
      iterName = m.iterName.replace(/^pgbench_/, '');
      values.splice(0, values.length, ...m.values);
      break;
    case 'phase':
      phase.textContent = m.message;
      break;
    case 'iteration-start':
      phase.textContent = `iteration ${m.index + 1} of ${values.length}: ${iterName} ${m.value}`;
      command.textContent = m.commandLine;
      ensureSeries(m.index, m.value);
      break;
    case 'progress':
      ensureSeries(m.index, values[m.index] ?? m.index);
      tpsChart.data.datasets[m.index].data.push({ x: m.point.t, y: m.point.tps });
      latChart.data.datasets[m.index].data.push({ x: m.point.t, y: m.point.latencyMs });
      tpsChart.update('none');
      latChart.update('none');
      break;
    case 'iteration-end': {
      const s = m.summary;
      results.appendChild(
        el(
          'li',
          `${iterName} ${s.value}: ${s.status}, ${fmt(s.tps)} tps, latency avg ${fmt(s.latencyAvgMs)} ms, p95 ${fmt(s.p95Ms)} ms`,
        ),
      );
      break;
    }
    case 'done':
      phase.textContent = `${m.status}: ${m.message}`;
      phase.className = `phase ${m.status}`;
      break;
  }
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  if (isHostToLiveRun(e.data)) render(e.data);
});

acquireVsCodeApi().postMessage({ type: 'ready' });
