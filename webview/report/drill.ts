/**
 * A failover drill report: what the application saw (write gap, reconnection, lost writes, new leader)
 * and its timeline — acknowledged and failed attempts per 100 ms, with the event and the outage marked.
 */
import { BarController, BarElement, CategoryScale, Chart, LinearScale } from 'chart.js';
import type { Plugin } from 'chart.js';
import type { DrillBlock } from '../../src/core/report/model';
import { drillMeasureRows, drillSentence } from '../../src/protocol/report';
import { chartBox, palette, stackedBarOptions, textColor } from './charts';
import { formatNumber, h } from './dom';

Chart.register(BarController, BarElement, CategoryScale, LinearScale);

/** Vertical marks at the event's start and end, and the outage shaded between its two acknowledgements. */
function marks(d: DrillBlock, stepMs: number): Plugin<'bar'> {
  return {
    id: 'drillMarks',
    afterDatasetsDraw(chart) {
      const { ctx, chartArea: area, scales } = chart;
      const x = (ms: number) => scales.x.getPixelForValue(ms / stepMs);
      ctx.save();
      if (d.gapFromMs !== undefined && d.gapToMs !== undefined) {
        ctx.fillStyle = 'rgba(241, 76, 76, 0.12)';
        ctx.fillRect(x(d.gapFromMs), area.top, Math.max(1, x(d.gapToMs) - x(d.gapFromMs)), area.bottom - area.top);
      }
      ctx.strokeStyle = textColor();
      ctx.setLineDash([4, 3]);
      ctx.fillStyle = textColor();
      ctx.font = '11px sans-serif';
      for (const [ms, label] of [
        [d.eventStartMs, d.event],
        [d.eventEndMs, 'answered'],
      ] as const) {
        ctx.beginPath();
        ctx.moveTo(x(ms), area.top);
        ctx.lineTo(x(ms), area.bottom);
        ctx.stroke();
        ctx.fillText(label, x(ms) + 3, area.top + 10);
      }
      ctx.restore();
    },
  };
}

function drillOptions() {
  const o = stackedBarOptions('attempts');
  const fg = textColor();
  o.scales = {
    ...o.scales,
    x: { ...o.scales?.x, title: { display: true, text: 's since the writer started', color: fg } },
  };
  return o;
}

export function drillTimelineChart(d: DrillBlock): HTMLElement {
  const stepMs = d.series.length > 1 ? d.series[1].tMs - d.series[0].tMs : 100;
  return chartBox('Writes per 100 ms: acknowledged and failed, with the event and the outage', (canvas) => {
    const colors = palette();
    return new Chart(canvas, {
      type: 'bar',
      data: {
        labels: d.series.map((p) => formatNumber(p.tMs / 1000, 1)),
        datasets: [
          {
            label: 'acknowledged',
            data: d.series.map((p) => p.ok),
            backgroundColor: colors[2],
            barPercentage: 1,
            categoryPercentage: 1,
          },
          {
            label: 'failed',
            data: d.series.map((p) => p.failed),
            backgroundColor: colors[1],
            barPercentage: 1,
            categoryPercentage: 1,
          },
        ],
      },
      options: drillOptions(),
      plugins: [marks(d, stepMs)],
    });
  });
}

function measures(d: DrillBlock): HTMLElement {
  const dl = h('dl', { class: 'summary drill-measures' });
  for (const [k, v] of drillMeasureRows(d)) dl.append(h('dt', {}, k), h('dd', {}, v));
  return dl;
}

function membersTable(title: string, members: DrillBlock['membersBefore']): HTMLElement {
  return h(
    'table',
    { class: 'drill-members' },
    h('caption', {}, title),
    h('tr', {}, ...['member', 'role', 'state', 'host', 'TL'].map((c) => h('th', {}, c))),
    ...members.map((m) =>
      h(
        'tr',
        {},
        ...[m.name, m.role, m.state, `${m.host}:${m.port}`, m.timeline === undefined ? '' : String(m.timeline)].map(
          (c) => h('td', {}, c),
        ),
      ),
    ),
  );
}

export function drillSection(d: DrillBlock): HTMLElement {
  return h(
    'section',
    { class: 'drill' },
    h('h2', {}, 'Failover drill'),
    h('p', {}, drillSentence(d)),
    measures(d),
    h('div', { class: 'chart-grid drill-chart' }, drillTimelineChart(d)),
    h(
      'div',
      { class: 'drill-cluster' },
      membersTable('Before', d.membersBefore),
      membersTable('After', d.membersAfter),
    ),
    ...d.notes.map((n) => h('div', { class: 'banner note' }, n)),
  );
}
