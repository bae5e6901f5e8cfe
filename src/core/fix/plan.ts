/**
 * What a fix will run, decided before anything runs: the statement (VACUUM, REINDEX CONCURRENTLY) with
 * the session settings it runs under, or pg_repack's argument list. The dry run prints exactly this.
 */
import type { SessionSafety } from '../conn/session';
import { repackArgs } from '../diag/bloatFix';
import { PgOpsError } from '../errors';
import { shellCommandLine } from '../shell';
import { quoteLiteral } from '../sql';
import type { FixObject } from './target';
import { qualifiedName } from './target';

export type FixAction = 'vacuum' | 'reindex' | 'repack';

export const fixActions: readonly FixAction[] = ['vacuum', 'reindex', 'repack'];

export interface FixRequest {
  action: FixAction;
  /** vacuum: VACUUM FULL (ACCESS EXCLUSIVE for the whole rewrite) instead of a plain VACUUM. */
  full?: boolean;
  /** repack of a table: its indexes only (pg_repack --only-indexes). */
  onlyIndexes?: boolean;
  /** Seconds pg_repack waits for each of its locks before it gives up (--wait-timeout). */
  waitTimeoutS: number;
  /** lock_timeout of the VACUUM or REINDEX session, in seconds. */
  lockTimeoutS: number;
}

export interface FixPlan {
  request: FixRequest;
  /** The statement, for vacuum and reindex. */
  sql?: { settings: string[]; statement: string };
  /** pg_repack's arguments after the program name (no password: that goes through a temporary pgpass file). */
  repack?: { args: string[] };
  /** Bytes the fix writes next to the live relation, before the old copy is dropped. */
  extraBytes: number;
  /** One line on what the fix does to locks and the table, shown with the checklist. */
  effect: string;
}

/**
 * The sessions a fix opens besides the diagnostic one: `pgops fix` runs VACUUM or REINDEX (writable, no statement
 * timeout: maintenance may take hours, only the lock wait is bounded), `pgops fix cleanup` drops leftovers the same way.
 */
export function fixSessionSafety(
  applicationName: 'pgops fix' | 'pgops fix cleanup',
  lockTimeoutS: number,
): SessionSafety {
  return { applicationName, statementTimeoutMs: 0, lockTimeoutMs: lockTimeoutS * 1000, readOnly: false };
}

/** A whole number of seconds ≥ min, or an error naming the flag. */
export function checkSeconds(value: unknown, flag: string, min = 1): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return value;
  throw new PgOpsError(
    'fix-seconds',
    `${flag} must be a whole number of seconds (at least ${min}), not ${JSON.stringify(value)}`,
    `Give ${flag} a whole number such as 60.`,
  );
}

/** Which combination of action and object makes sense; refused with the reason otherwise. */
function checkRequest(o: FixObject, r: FixRequest): void {
  const refuse = (message: string, hint: string): never => {
    throw new PgOpsError('fix-usage', message, hint);
  };
  if (r.action === 'vacuum' && o.kind === 'index')
    refuse(
      'VACUUM works on tables, not on an index',
      'Give --table (its indexes are vacuumed with it), or use reindex.',
    );
  if (r.full && r.action !== 'vacuum') refuse('--full is for vacuum only', 'Leave out --full.');
  if (r.onlyIndexes && (r.action !== 'repack' || o.kind !== 'table'))
    refuse('--only-indexes is for repack --table only', 'Leave out --only-indexes, or give --table.');
  if (r.action === 'repack' && o.table.relkind !== 'r')
    refuse(
      `pg_repack works on plain tables; ${qualifiedName(o.table)} is a materialized view`,
      'Use vacuum --full or reindex for it.',
    );
}

export function fixPlan(
  o: FixObject,
  r: FixRequest,
  conn: { database: string; host?: string; port?: number; user?: string },
): FixPlan {
  checkRequest(o, r);
  const waitTimeoutS = checkSeconds(r.waitTimeoutS, '--wait-timeout');
  const lockTimeoutS = checkSeconds(r.lockTimeoutS, '--lock-timeout');
  const name = qualifiedName(o, true);
  const settings = [
    `SET lock_timeout = ${quoteLiteral(`${lockTimeoutS}s`)};`,
    // maintenance may run for hours: the only limit is the lock wait above and a cancel
    "SET statement_timeout = '0';",
  ];
  switch (r.action) {
    case 'vacuum':
      return {
        request: r,
        sql: { settings, statement: `VACUUM (${r.full ? 'FULL, ' : ''}VERBOSE, ANALYZE) ${name};` },
        extraBytes: r.full ? o.tableBytes + o.indexesBytes : 0,
        effect: r.full
          ? 'VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock: nobody can read or write it until it ends.'
          : 'VACUUM takes a SHARE UPDATE EXCLUSIVE lock: reads and writes go on; it frees dead rows for reuse but rarely shrinks the file.',
      };
    case 'reindex':
      return {
        request: r,
        sql: {
          settings,
          statement: `REINDEX ${o.kind === 'index' ? 'INDEX' : 'TABLE'} CONCURRENTLY ${name};`,
        },
        extraBytes: o.kind === 'index' ? (o.indexBytes ?? 0) : o.indexesBytes,
        effect:
          'REINDEX CONCURRENTLY builds a new copy of the index beside the old one and swaps them; writes go on, ' +
          'but it waits for every transaction older than each of its phases.',
      };
    case 'repack': {
      const args = repackArgs({ schema: o.schema, name: o.name, kind: o.kind, ...conn }, waitTimeoutS);
      if (r.onlyIndexes) args.push('--only-indexes');
      // --echo: pg_repack prints each statement it sends, which is how pgops follows its phases
      args.unshift('--echo');
      return {
        request: r,
        repack: { args },
        extraBytes:
          o.kind === 'index' ? (o.indexBytes ?? 0) : r.onlyIndexes ? o.indexesBytes : o.tableBytes + o.indexesBytes,
        effect:
          'pg_repack copies the table online and swaps it in; it takes ACCESS EXCLUSIVE briefly at the start and for ' +
          `the swap, waiting at most ${waitTimeoutS} s each time and giving up rather than cancelling anyone (--no-kill-backend).`,
      };
    }
  }
}

/**
 * The dry run: exactly what would run, as a psql script for the statements (names written U&"…" so each
 * line is inert ASCII) or as a shell command line for pg_repack (every word single-quoted).
 */
export function dryRunText(plan: FixPlan, repackProgram = 'pg_repack'): string {
  if (plan.sql) return [...plan.sql.settings, plan.sql.statement, ''].join('\n');
  return `${shellCommandLine([repackProgram, ...(plan.repack?.args ?? [])])}\n`;
}
