import type { Logger } from '../core/log';
import type { CliIo } from './command';

/** Progress and diagnostics go to stderr so stdout stays machine-readable. */
export function stderrLogger(io: CliIo, verbose = !!io.env.PGOPS_VERBOSE): Logger {
  const line = (level: string) => (m: string) => io.err(`${level}: ${m}`);
  const quiet = () => undefined;
  return { trace: quiet, debug: verbose ? line('debug') : quiet, info: verbose ? line('info') : quiet, warn: line('warning'), error: line('error') };
}

/** A plain text table with right-aligned numbers, for terminal output. */
export function formatTable(header: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === null || r[i] === undefined || typeof r[i] === 'number'));
  const fmt = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(fmt)].join('\n');
}
