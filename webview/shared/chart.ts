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
