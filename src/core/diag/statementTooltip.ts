import { markdownCodeBlock, markdownText } from '../markdown';
import type { StatementDelta } from './statementDeltas';
import type { StatementStats } from './statements';

/** A duration for a tree label or tooltip: ms below ten seconds, s above. */
export function formatMs(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${n.toFixed(n >= 100 ? 0 : 2)} ms`;
}

/** The Markdown of a statement's tooltip in Query Stats: its text whole in an SQL code block, then its counters as text. */
export function statementTooltipMarkdown(s: StatementStats | StatementDelta): string {
  const counters =
    `${s.calls} calls, ${formatMs(s.totalMs)} total, ${formatMs(s.meanMs)} mean, ${s.rows} rows, ` +
    `${s.sharePct.toFixed(1)}% of time · ${s.user ?? '?'}@${s.database ?? '?'}`;
  const restarted =
    'restarted' in s && s.restarted ? `\n\n_${markdownText('(new or restarted in this interval)')}_` : '';
  return `${markdownCodeBlock((s.query ?? '').slice(0, 2000), 'sql')}\n\n${markdownText(counters)}${restarted}`;
}
