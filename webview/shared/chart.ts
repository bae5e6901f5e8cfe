import type { Chart } from 'chart.js';

/** What every pgops chart shares: drawn at once (no animation), sized by its box, data given as {x, y} points. */
export const staticChartOptions = {
  animation: false,
  responsive: true,
  maintainAspectRatio: false,
  parsing: false,
} as const;

/** The theme's foreground colour, for axis titles, ticks and legends. */
export function themeForeground(): string {
  return getComputedStyle(document.body).getPropertyValue('--vscode-foreground').trim() || '#888';
}

/**
 * Calls `redraw` after VS Code switches the colour theme: it then changes the body's class and the
 * `--vscode-*` variables on the root element, which the charts read their colours from.
 */
export function onThemeChange(redraw: () => void): void {
  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      redraw();
    });
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
}

/** Puts the theme's foreground on a drawn chart's axes, axis titles and legend, and redraws it. */
export function recolor(chart: Chart, fg = themeForeground()): void {
  for (const scale of Object.values(chart.options.scales ?? {})) {
    if (scale?.ticks) scale.ticks.color = fg;
    if (scale && 'title' in scale && scale.title) scale.title.color = fg;
  }
  const labels = chart.options.plugins?.legend?.labels;
  if (labels) labels.color = fg;
  chart.update('none');
}
