import { PgOpsError } from '../errors';
import { shellCommandLine } from '../shell';
import { quoteQualified } from '../sql';

export type FixKind = 'vacuum' | 'reindex' | 'repack';

export interface FixTarget {
  schema: string;
  name: string;
  kind: 'table' | 'index';
  /** Connection facts for the pg_repack command line (never a password). */
  database: string;
  host?: string;
  port?: number;
  user?: string;
}

export interface FixDocument {
  language: 'sql' | 'shellscript';
  content: string;
}

/** Seconds pg_repack waits for its ACCESS EXCLUSIVE locks before giving up (with --no-kill-backend). */
export const defaultRepackWaitTimeout = 60;

/** The fixes that fit a relation: VACUUM for tables, REINDEX CONCURRENTLY for indexes, pg_repack for both. */
export function fixKindsFor(kind: 'table' | 'index'): FixKind[] {
  return kind === 'table' ? ['vacuum', 'repack'] : ['reindex', 'repack'];
}

/** pg_repack's arguments; an array so nothing is ever interpreted by a shell on our side. */
export function repackArgs(t: FixTarget, waitTimeout = defaultRepackWaitTimeout): string[] {
  const args = ['--no-kill-backend', `--wait-timeout=${checkedWaitTimeout(waitTimeout)}`];
  if (t.host) args.push(`--host=${t.host}`);
  if (t.port) args.push(`--port=${t.port}`);
  if (t.user) args.push(`--username=${t.user}`);
  args.push(`--dbname=${t.database}`);
  args.push(
    t.kind === 'table' ? `--table=${quoteQualified(t.schema, t.name)}` : `--index=${quoteQualified(t.schema, t.name)}`,
  );
  return args;
}

const repackCaveats = [
  '# pg_repack rebuilds the relation online, but it still takes ACCESS EXCLUSIVE locks briefly: at the start,',
  '# for the final swap and for the cleanup. While it waits for one, every new query on the table queues behind it.',
  '# Without --no-kill-backend it cancels conflicting queries after --wait-timeout and terminates them after twice',
  '# that time; with it, pg_repack gives up on the table instead ("Skipping repack ... due to timeout").',
  '# DDL on the table during the run is not allowed. It needs about twice the table size in free disk space,',
  '# writes WAL for the whole copy (replicas and archives must keep up), and must be installed as an extension',
  '# (CREATE EXTENSION pg_repack) of the same version as the client. Run it in a quiet window.',
];

/** The wait timeout as a whole number of seconds: settings arrive untyped, and this one is written into a shell text. */
function checkedWaitTimeout(waitTimeout: unknown): number {
  if (typeof waitTimeout === 'number' && Number.isSafeInteger(waitTimeout) && waitTimeout >= 1) return waitTimeout;
  throw new PgOpsError(
    'bloat-wait-timeout',
    `pgops.bloat.repackWaitTimeout must be a whole number of seconds, not ${JSON.stringify(waitTimeout)}`,
    'Set it to a whole number of seconds (at least 1; default 60) in the settings.',
  );
}

const escapesNote =
  '-- Names with characters outside printable ASCII are written U&"..." with \\XXXX code point escapes.';

/**
 * The text of the untitled editor "Generate fix" opens. Nothing runs until the user runs it, and the
 * text is inert for any name: names appear only as quoted words (U&"..." escapes in SQL, so each
 * statement stays one line of ASCII; single quotes in the shell line), never in comments.
 */
export function fixDocument(t: FixTarget, kind: FixKind, waitTimeout = defaultRepackWaitTimeout): FixDocument {
  const qualified = quoteQualified(t.schema, t.name, { printable: true });
  const escapes = qualified.includes('U&"') ? [escapesNote] : [];
  switch (kind) {
    case 'vacuum':
      return {
        language: 'sql',
        content: [
          '-- Reclaims the dead tuples of the table below for reuse and refreshes its statistics. It takes a',
          '-- SHARE UPDATE EXCLUSIVE lock (reads and writes continue) and does not shrink the file except for',
          '-- empty pages at its end; to give space back to the OS use pg_repack (online) or VACUUM FULL',
          '-- (ACCESS EXCLUSIVE for the whole rewrite: the table is unusable meanwhile).',
          ...escapes,
          `VACUUM (VERBOSE, ANALYZE) ${qualified};`,
          '',
        ].join('\n'),
      };
    case 'reindex':
      return {
        language: 'sql',
        content: [
          '-- Rebuilds the index below without blocking writes (PostgreSQL 12+). It cannot run inside a transaction',
          '-- block, needs room for a second copy of the index, and waits for transactions that use the table.',
          '-- If it fails it leaves an INVALID index named *_ccnew: drop that and retry.',
          ...escapes,
          `REINDEX INDEX CONCURRENTLY ${qualified};`,
          '',
        ].join('\n'),
      };
    case 'repack': {
      const seconds = checkedWaitTimeout(waitTimeout);
      return {
        language: 'shellscript',
        content: [
          '#!/bin/sh',
          ...repackCaveats,
          `# --wait-timeout=${seconds}: seconds to wait for each lock; --no-kill-backend: never cancel or terminate other sessions.`,
          shellCommandLine(['pg_repack', ...repackArgs(t, seconds)]),
          '',
        ].join('\n'),
      };
    }
  }
}
