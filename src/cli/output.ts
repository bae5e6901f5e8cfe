import type { Logger } from '../core/log';
import type { CliIo } from './command';

/**
 * Characters a terminal acts on instead of showing: C0 controls but tab and newline, DEL, C1 controls
 * (U+009B is a one-byte CSI), and the bidi controls of "Trojan Source". A report, a pg_hba.conf or a
 * server message can hold any of them.
 */
const terminalControls =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text made inert for a terminal: each control character becomes a visible `\uXXXX`. Inside a JSON
 * string that is the same character's escape, so `--json` output stays valid and equal.
 */
export function terminalSafe(text: string): string {
  return text.replace(terminalControls, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Progress and diagnostics go to stderr so stdout stays machine-readable. */
export function stderrLogger(io: CliIo, verbose = !!io.env.PGOPS_VERBOSE): Logger {
  const line = (level: string) => (m: string) => io.err(`${level}: ${m}`);
  const quiet = () => undefined;
  return {
    trace: quiet,
    debug: verbose ? line('debug') : quiet,
    info: verbose ? line('info') : quiet,
    warn: line('warning'),
    error: line('error'),
  };
}

/** A plain text table with right-aligned numbers, for terminal output. */
export function formatTable(header: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map(
    (_, i) => rows.length > 0 && rows.every((r) => r[i] === null || r[i] === undefined || typeof r[i] === 'number'),
  );
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(fmt)].join('\n');
}
