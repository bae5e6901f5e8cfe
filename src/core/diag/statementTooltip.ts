import type { StatementDelta } from './statementDeltas';
import type { StatementStats } from './statements';

/** A duration for a tree label or tooltip: ms below ten seconds, s above. */
export function formatMs(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${n.toFixed(n >= 100 ? 0 : 2)} ms`;
}

/** The Markdown of a statement's tooltip in Query Stats: its text as SQL, then its counters. */
export function statementTooltipMarkdown(s: StatementStats | StatementDelta): string {
  const restarted = 'restarted' in s && s.restarted ? '\n\n_(new or restarted in this interval)_' : '';
  return `\`\`\`sql\n${(s.query ?? '').slice(0, 2000)}\n\`\`\`\n\n${s.calls} calls, ${formatMs(s.totalMs)} total, ${formatMs(s.meanMs)} mean, ${s.rows} rows, ${s.sharePct.toFixed(1)}% of time · ${s.user ?? '?'}@${s.database ?? '?'}${restarted}`;
}
