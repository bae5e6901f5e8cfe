/**
 * Charts of a settings sweep and of latency distributions: tps against the swept setting's value, a
 * line per client count with 95% bars; a heatmap table of mean tps when two or more settings were
 * swept; the wait-event profile of every cell as stacked shares (the seed article's table, drawn);
 * and the latency CDF from the iterations' log-scale histograms, per cell in a settings sweep.
 */
import { BarController, BarElement, CategoryScale, Chart, LinearScale, LogarithmicScale } from 'chart.js';
import type { Plugin } from 'chart.js';
import type { IterationResult, LatencyHistogram } from '../../src/core/report/model';
import type { ValueSummary } from '../../src/core/report/repeats';
import { cellLabel, iterationLabel } from '../../src/protocol/report';
import { axisOptions, chartBox, palette, stackedBarOptions, textColor } from './charts';
import { formatNumber, h } from './dom';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LogarithmicScale);

/** A sweep value as people say it: `1 client`, `8 clients`, `30 s`. */
const valueText = (value: number, iterName: string) =>
  iterName === 'pgbench_time' ? `${value} s` : `${value} client${value === 1 ? '' : 's'}`;

/** The names of the swept settings, in the plan's order (the first iteration's keys). */
export function sweptSettings(iterations: IterationResult[]): string[] {
  return Object.keys(iterations.find((it) => it.settings)?.settings ?? {});
}

/** Values in the order they first appear. */
const ordered = (xs: string[]) => [...new Set(xs)];

/** Draws each dataset's `ci` (half-widths, per point) as vertical bars with caps. */
const errorBars: Plugin<'line'> = {
  id: 'pgopsErrorBars',
  afterDatasetsDraw(chart) {
    const { ctx } = chart;
    const y = chart.scales.y;
    chart.data.datasets.forEach((ds, di) => {
      const ci = (ds as { ci?: Array<number | null> }).ci;
      const meta = chart.getDatasetMeta(di);
      if (!ci || meta.hidden) return;
      ctx.save();
      // a bar longer than the axis (two runs: t = 12.7) is cut at the plot's edge
      const area = chart.chartArea;
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      ctx.strokeStyle = typeof ds.borderColor === 'string' ? ds.borderColor : textColor();
      ctx.lineWidth = 1.5;
      meta.data.forEach((pt, i) => {
        const half = ci[i];
        const mean = ds.data[i];
        if (half === null || half === undefined || typeof mean !== 'number' || half === 0) return;
        const [top, bottom] = [y.getPixelForValue(mean + half), y.getPixelForValue(Math.max(0, mean - half))];
        ctx.beginPath();
        ctx.moveTo(pt.x, top);
        ctx.lineTo(pt.x, bottom);
        ctx.moveTo(pt.x - 4, top);
        ctx.lineTo(pt.x + 4, top);
        ctx.moveTo(pt.x - 4, bottom);
        ctx.lineTo(pt.x + 4, bottom);
        ctx.stroke();
      });
      ctx.restore();
    });
  },
};

/** tps (mean of the runs) against the first swept setting's value, a line per client count (and other settings). */
export function settingTpsChart(cells: ValueSummary[], iterName: string): HTMLElement | undefined {
  const swept = Object.keys(cells.find((c) => c.settings)?.settings ?? {});
  if (!swept.length) return undefined;
  const [x, ...others] = swept;
  const xs = ordered(cells.map((c) => c.settings?.[x] ?? ''));
  const lineOf = (c: ValueSummary) => {
    const rest = Object.fromEntries(others.map((o) => [o, c.settings?.[o] ?? '']));
    const what = valueText(c.value, iterName);
    return others.length ? `${what}, ${cellLabel(rest)}` : what;
  };
  const lines = ordered(cells.map(lineOf));
  const colors = palette();
  const fg = textColor();
  return chartBox(
    `tps vs ${x} (mean of the runs, 95% interval)`,
    (canvas) =>
      new Chart(canvas, {
        type: 'line',
        data: {
          labels: xs,
          datasets: lines.map((line, n) => {
            const at = xs.map((v) => cells.find((c) => lineOf(c) === line && c.settings?.[x] === v));
            return {
              label: line,
              data: at.map((c) => c?.tps.mean ?? null),
              ci: at.map((c) => c?.tps.ci95 ?? null),
              borderColor: colors[n % colors.length],
              backgroundColor: colors[n % colors.length],
              spanGaps: true,
            };
          }),
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          plugins: { legend: { labels: { color: fg } } },
          scales: { x: axisOptions(x), y: { beginAtZero: true, ...axisOptions('tps') } },
        },
        plugins: [errorBars],
      }),
  );
}

/**
 * Two or more swept settings: mean tps as a table, the first setting down and the others across,
 * one table per client count, each cell shaded by its tps (text stays the number, for every reader).
 */
export function settingHeatmaps(cells: ValueSummary[], iterName: string): HTMLElement[] {
  const swept = Object.keys(cells.find((c) => c.settings)?.settings ?? {});
  if (swept.length < 2) return [];
  const [row, ...across] = swept;
  const colOf = (c: ValueSummary) => cellLabel(Object.fromEntries(across.map((o) => [o, c.settings?.[o] ?? ''])));
  const rows = ordered(cells.map((c) => c.settings?.[row] ?? ''));
  const cols = ordered(cells.map(colOf));
  const max = Math.max(...cells.map((c) => c.tps.mean));
  return ordered(cells.map((c) => String(c.value))).map((value) => {
    const table = h('table', { class: 'heatmap' });
    const what = valueText(Number(value), iterName);
    table.append(h('caption', {}, `mean tps at ${what}: ${row} down, ${across.join(', ')} across`));
    table.append(h('thead', {}, h('tr', {}, h('th', {}, row), ...cols.map((c) => h('th', {}, c)))));
    const body = h('tbody');
    for (const r of rows) {
      const tr = h('tr', {}, h('th', {}, r));
      for (const col of cols) {
        const c = cells.find((x) => String(x.value) === value && x.settings?.[row] === r && colOf(x) === col);
        const td = h('td', { class: 'num' }, c ? formatNumber(c.tps.mean, 1) : '');
        // shading through the CSSOM (allowed by the page's CSP, unlike a style attribute)
        if (c && max > 0) td.style.setProperty('--heat', String(Math.round((100 * c.tps.mean) / max)));
        tr.append(td);
      }
      body.append(tr);
    }
    table.append(body);
    return h('figure', { class: 'heatmap-box' }, table);
  });
}

/** Iterations grouped per cell of a settings sweep (repeats together); one group per iteration otherwise. */
function groups(iterations: IterationResult[], iterName: string): Array<{ label: string; its: IterationResult[] }> {
  if (!sweptSettings(iterations).length)
    return iterations.map((it) => ({
      label: `iteration ${it.index + 1} (${iterationLabel(it, iterName)})`,
      its: [it],
    }));
  const out = new Map<string, IterationResult[]>();
  for (const it of iterations) {
    const what = valueText(it.value, iterName);
    const key = `${cellLabel(it.settings)}, ${what}`;
    out.set(key, [...(out.get(key) ?? []), it]);
  }
  return [...out].map(([label, its]) => ({ label, its }));
}

/** The wait-event profile of every cell: each event's share of the samples, stacked to 100%. */
export function cellWaitChart(iterations: IterationResult[], iterName: string): HTMLElement | undefined {
  const cells = groups(iterations, iterName).filter((g) => g.its.some((it) => it.waitEvents?.length));
  if (!cells.length) return undefined;
  const key = (w: { type: string; event: string }) => (w.type === w.event ? w.type : `${w.type}: ${w.event}`);
  const shares = cells.map((g) => {
    const m = new Map<string, number>();
    for (const it of g.its) for (const w of it.waitEvents ?? []) m.set(key(w), (m.get(key(w)) ?? 0) + w.samples);
    const total = [...m.values()].reduce((a, b) => a + b, 0);
    return new Map([...m].map(([k, n]) => [k, total ? (100 * n) / total : 0]));
  });
  const events = ordered(shares.flatMap((m) => [...m.keys()]))
    .map((e) => ({ e, top: Math.max(...shares.map((m) => m.get(e) ?? 0)) }))
    .sort((a, b) => b.top - a.top)
    .slice(0, 10)
    .map((x) => x.e);
  const colors = palette();
  return chartBox(
    'wait events per cell (share of samples, %)',
    (canvas) =>
      new Chart(canvas, {
        type: 'bar',
        data: {
          labels: cells.map((g) => g.label),
          datasets: [...events, 'other'].map((ev, n) => ({
            label: ev,
            backgroundColor: colors[n % colors.length],
            data: shares.map((m) =>
              ev === 'other'
                ? [...m].filter(([k]) => !events.includes(k)).reduce((s, [, v]) => s + v, 0)
                : (m.get(ev) ?? 0),
            ),
          })),
        },
        options: stackedBarOptions('% of samples', 100),
      }),
  );
}

/** Histograms with the same bucket width added together (a cell's repeats). */
export function mergeHistograms(hs: LatencyHistogram[]): LatencyHistogram | undefined {
  const usable = hs.filter((x) => x.bucketsPerOctave === hs[0]?.bucketsPerOctave && x.counts.length);
  if (!usable.length) return undefined;
  const first = Math.min(...usable.map((x) => x.first));
  const last = Math.max(...usable.map((x) => x.first + x.counts.length - 1));
  const counts = new Array<number>(last - first + 1).fill(0);
  for (const x of usable) x.counts.forEach((n, i) => (counts[x.first - first + i] += n));
  return { ...usable[0], first, counts };
}

/** The cumulative share (%) of transactions at or below each bucket's upper edge (ms). */
export function cdfPoints(hist: LatencyHistogram): Array<{ x: number; y: number }> {
  const total = hist.counts.reduce((a, b) => a + b, 0);
  let seen = 0;
  return hist.counts.flatMap((n, i) => {
    if (!n) return [];
    seen += n;
    return [{ x: 2 ** ((hist.first + i + 1) / hist.bucketsPerOctave) / 1000, y: (100 * seen) / total }];
  });
}

/** Latency CDF per cell (or iteration), on a log scale of ms. */
export function cdfChart(iterations: IterationResult[], iterName: string): HTMLElement | undefined {
  const lines = groups(iterations, iterName).flatMap((g) => {
    const hist = mergeHistograms(g.its.flatMap((it) => (it.latencyHistogram ? [it.latencyHistogram] : [])));
    return hist ? [{ label: g.label, data: cdfPoints(hist) }] : [];
  });
  if (!lines.length) return undefined;
  const colors = palette();
  const fg = textColor();
  return chartBox(
    'latency distribution (CDF, per-transaction log)',
    (canvas) =>
      new Chart(canvas, {
        type: 'line',
        data: {
          datasets: lines.map((l, n) => ({
            ...l,
            borderColor: colors[n % colors.length],
            backgroundColor: colors[n % colors.length],
            pointRadius: 0,
            stepped: 'after' as const,
          })),
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          parsing: false,
          plugins: { legend: { labels: { color: fg } } },
          scales: {
            x: { type: 'logarithmic', ...axisOptions('latency (ms, log scale)') },
            y: { min: 0, max: 100, ...axisOptions('% of transactions at or below') },
          },
        },
      }),
  );
}
