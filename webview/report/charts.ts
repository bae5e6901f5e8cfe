/** chart.js charts of a report: tps and latency vs clients, per-second series, wait-event bars. */
import {
  BarController,
  BarElement,
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
import type { ChartDataset, ChartOptions } from 'chart.js';
import type { IterationResult } from '../../src/core/report/model';
import { cellText, h } from './dom';
import { iterationLabel } from '../../src/protocol/report';

Chart.register(
  LineController,
  LineElement,
  PointElement,
  BarController,
  BarElement,
  LinearScale,
  CategoryScale,
  Legend,
  Tooltip,
  Title,
);

export interface NamedResults {
  name: string;
  iterations: IterationResult[];
}

const fallbackPalette = [
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
const themeVars = [
  '--vscode-charts-blue',
  '--vscode-charts-red',
  '--vscode-charts-green',
  '--vscode-charts-yellow',
  '--vscode-charts-purple',
  '--vscode-charts-orange',
];

/** Colours from the VS Code theme when there is one, a fixed palette otherwise. */
export function palette(): string[] {
  const style = getComputedStyle(document.body);
  const themed = themeVars.map((v) => style.getPropertyValue(v).trim()).filter(Boolean);
  return themed.length === themeVars.length ? [...themed, ...fallbackPalette.slice(6)] : fallbackPalette;
}

export function textColor(): string {
  return getComputedStyle(document.body).getPropertyValue('--pgops-fg').trim() || '#333';
}

export function gridColor(): string {
  return getComputedStyle(document.body).getPropertyValue('--pgops-grid').trim() || 'rgba(128,128,128,0.25)';
}

/** An axis in the theme's colours, with its title. */
export function axisOptions(title: string) {
  const fg = textColor();
  return { title: { display: true, text: title, color: fg }, ticks: { color: fg }, grid: { color: gridColor() } };
}

/** A bar chart's options: categories across, the datasets stacked up (to `max` when given). */
export function stackedBarOptions(yTitle: string, max?: number): ChartOptions<'bar'> {
  const fg = textColor();
  return {
    animation: false,
    maintainAspectRatio: false,
    plugins: { legend: { labels: { color: fg } } },
    scales: {
      x: { stacked: true, ticks: { color: fg } },
      y: { stacked: true, beginAtZero: true, ...(max === undefined ? {} : { max }), ...axisOptions(yTitle) },
    },
  };
}

const charts: Chart[] = [];

/** Charts go into fixed-height boxes, so chart.js never measures a growing parent. */
export function chartBox(title: string, draw: (canvas: HTMLCanvasElement) => Chart): HTMLElement {
  const canvas = h('canvas', { 'aria-label': title, role: 'img' });
  const box = h('figure', { class: 'chart' }, h('figcaption', {}, title), h('div', { class: 'chart-canvas' }, canvas));
  queueMicrotask(() => charts.push(draw(canvas)));
  return box;
}

export function destroyCharts(): void {
  for (const c of charts.splice(0)) c.destroy();
}

function xyChart(
  canvas: HTMLCanvasElement,
  datasets: Array<ChartDataset<'line', Array<{ x: number; y: number }>>>,
  xTitle: string,
  yTitle: string,
): Chart {
  const colors = palette();
  datasets.forEach((d, i) => {
    d.borderColor ??= colors[i % colors.length];
    d.backgroundColor ??= colors[i % colors.length];
  });
  const fg = textColor();
  return new Chart(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      plugins: { legend: { labels: { color: fg } } },
      scales: {
        x: { type: 'linear', ...axisOptions(xTitle) },
        y: { beginAtZero: true, ...axisOptions(yTitle) },
      },
    },
  });
}

const points = (its: IterationResult[], pick: (it: IterationResult) => number | null | undefined) =>
  its.flatMap((it) => {
    const y = pick(it);
    return y === null || y === undefined ? [] : [{ x: it.value, y }];
  });

export function tpsChart(results: NamedResults[], iterName: string): HTMLElement {
  return chartBox(`tps vs ${iterName}`, (c) =>
    xyChart(
      c,
      results.map((r) => ({ label: r.name, data: points(r.iterations, (i) => i.tps) })),
      iterName,
      'tps',
    ),
  );
}

export function latencyChart(results: NamedResults[], iterName: string): HTMLElement {
  const single = results.length === 1;
  return chartBox(`latency vs ${iterName}`, (c) =>
    xyChart(
      c,
      results.flatMap((r) => {
        const prefix = single ? '' : `${r.name} `;
        const sets: Array<ChartDataset<'line', Array<{ x: number; y: number }>>> = [
          { label: `${prefix}average`, data: points(r.iterations, (i) => i.latencyAvgMs) },
        ];
        if (single && r.iterations.some((i) => i.percentiles)) {
          for (const p of ['p50', 'p95', 'p99'] as const)
            sets.push({ label: p, data: points(r.iterations, (i) => i.percentiles?.[p]), borderDash: [4, 3] });
        }
        return sets;
      }),
      iterName,
      'latency (ms)',
    ),
  );
}

export function perSecondCharts(iterations: IterationResult[], iterName: string): HTMLElement[] {
  const withSeries = iterations.filter((i) => i.series && i.series.length > 0);
  if (withSeries.length === 0) return [];
  const label = (i: IterationResult) => `iteration ${i.index + 1} (${iterationLabel(i, iterName)})`;
  return [
    chartBox('tps per second', (c) =>
      xyChart(
        c,
        withSeries.map((i) => ({
          label: label(i),
          data: (i.series ?? []).map((p) => ({ x: p.t, y: p.tps })),
          pointRadius: 0,
        })),
        'seconds',
        'tps',
      ),
    ),
    chartBox('latency per second', (c) =>
      xyChart(
        c,
        withSeries.map((i) => ({
          label: label(i),
          data: (i.series ?? []).map((p) => ({ x: p.t, y: p.latencyMs })),
          pointRadius: 0,
        })),
        'seconds',
        'latency (ms)',
      ),
    ),
  ];
}

/** Stacked bars: wait-event samples per iteration, the 10 most frequent events and "other". */
export function waitEventChart(iterations: IterationResult[], iterName: string): HTMLElement | undefined {
  const withWaits = iterations.filter((i) => i.waitEvents && i.waitEvents.length > 0);
  if (withWaits.length === 0) return undefined;
  const key = (w: { type: string; event: string }) => (w.type === w.event ? w.type : `${w.type}: ${w.event}`);
  const totals = new Map<string, number>();
  for (const i of withWaits)
    for (const w of i.waitEvents ?? []) totals.set(key(w), (totals.get(key(w)) ?? 0) + w.samples);
  const top = [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([k]) => k);
  const events = totals.size > top.length ? [...top, 'other'] : top;
  const colors = palette();
  return chartBox(
    'wait events sampled per iteration',
    (c) =>
      new Chart(c, {
        type: 'bar',
        data: {
          labels: withWaits.map((i) => iterationLabel(i, iterName)),
          datasets: events.map((ev, n) => ({
            label: ev,
            backgroundColor: colors[n % colors.length],
            data: withWaits.map((i) =>
              (i.waitEvents ?? [])
                .filter((w) => (ev === 'other' ? !top.includes(key(w)) : key(w) === ev))
                .reduce((s, w) => s + w.samples, 0),
            ),
          })),
        },
        options: stackedBarOptions('samples'),
      }),
  );
}

/** A pg_perfbench chart item (ApexCharts options): its `[x, y]` series drawn as lines. */
export function apexSeriesChart(title: string, options: unknown): HTMLElement | undefined {
  const series = (options as { series?: unknown })?.series;
  if (!Array.isArray(series)) return undefined;
  const datasets = series.flatMap((s) => {
    const data = (s as { data?: unknown })?.data;
    if (!Array.isArray(data)) return [];
    const pts = data.flatMap((p) =>
      Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number' ? [{ x: p[0], y: p[1] }] : [],
    );
    return [{ label: cellText((s as { name?: unknown }).name), data: pts }];
  });
  if (datasets.length === 0) return undefined;
  const xTitle = cellText((options as { xaxis?: { title?: { text?: unknown } } }).xaxis?.title?.text ?? 'x');
  return chartBox(title, (c) => xyChart(c, datasets, xTitle, 'tps'));
}
