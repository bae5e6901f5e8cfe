import * as path from 'node:path';
import { checkProgramCanSignIn } from '../../core/bench/findPgbench';
import type { HostShell } from '../../core/bench/hostShell';
import { databaseHostShell } from '../../core/bench/hostShell';
import type { ConnectionTarget } from '../../core/conn/session';
import { formatBytes } from '../../core/diag/replication';
import { cleanupScript, cleanUpLeftovers, findLeftovers } from '../../core/fix/leftovers';
import type { FixAction } from '../../core/fix/plan';
import { checkSeconds, dryRunText, fixActions, fixSessionSafety } from '../../core/fix/plan';
import type { FixSettings } from '../../core/fix/prepare';
import {
  checklistText,
  defaultFixSettings,
  fixRecord,
  leftoversText,
  lockWaitLines,
  outcomeText,
  prepareFix,
  startedLine,
} from '../../core/fix/prepare';
import type { FixEvent, FixOutcome } from '../../core/fix/run';
import { runFix } from '../../core/fix/run';
import { findFixObject, qualifiedName } from '../../core/fix/target';
import { shellCommandLine } from '../../core/shell';
import { writeFileAtomic } from '../../core/report';
import type { CliCommand, CliIo } from '../command';
import { confirmAction, intFlag, parseFlags, UsageError } from '../command';
import { connFlags, connFlagsUsage, openCliSessionFrom } from '../conn';
import { sshFlags, sshFlagsUsage, sshTargetFromFlags } from '../ssh';

const options = {
  ...connFlags,
  ...sshFlags,
  table: { type: 'string' },
  index: { type: 'string' },
  full: { type: 'boolean' },
  'only-indexes': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean' },
  'wait-timeout': { type: 'string' },
  'lock-timeout': { type: 'string' },
  'max-xact-age': { type: 'string' },
  'disk-margin': { type: 'string' },
  'pg-repack': { type: 'string' },
  output: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const actions = [...fixActions, 'cleanup'] as const;

const usage = `pgops fix vacuum|reindex|repack|cleanup --conn C (--table T | --index I) [options]
Runs a maintenance fix after a pre-flight checklist (object, pg_repack extension and program versions, a key for
pg_repack, maintenance already running, leftovers, free disk space, long transactions and locks on the table,
logical replication), with live progress and lock waits on stderr, and a before/after summary. Ctrl-C cancels:
pg_cancel_backend for VACUUM and REINDEX, SIGINT for pg_repack (which then cleans up after itself).

  vacuum    VACUUM (VERBOSE, ANALYZE) of --table; --full for VACUUM FULL (ACCESS EXCLUSIVE for the whole rewrite)
  reindex   REINDEX INDEX|TABLE CONCURRENTLY of --index or --table
  repack    pg_repack of --table (--only-indexes: its indexes only) or --index, always with --no-kill-backend
  cleanup   find the leftovers of interrupted fixes (pg_repack's log tables, triggers and types, invalid
            *_ccnew/*_ccold and index_<oid> indexes), of --table or the whole database, and drop them

  --table T | --index I  the relation, written as in SQL: schema.name, "Quoted Name"
  --dry-run              print exactly what would run (a psql script, or pg_repack's command line) and run nothing
  --yes                  run without asking (the checklist's warnings included); without it pgops asks when stdin
                         is a terminal and refuses otherwise
  --wait-timeout S       seconds pg_repack waits for each of its locks before it gives up (default ${defaultFixSettings.waitTimeoutS})
  --lock-timeout S       lock_timeout of VACUUM, REINDEX and the cleanup (default ${defaultFixSettings.lockTimeoutS})
  --max-xact-age S       list transactions older than this as blockers (default ${defaultFixSettings.maxXactAgeS})
  --disk-margin PCT      free space must exceed the copy by this much (default ${defaultFixSettings.diskMarginPct})
  --pg-repack PATH       the pg_repack program (default: PATH, pg_config --bindir, /usr/lib/postgresql/<server major>/bin)
  --ssh USER@HOST[:PORT] --ssh-key FILE   measure free space on a remote database host over SSH (local hosts need none)
${sshFlagsUsage}  --output FILE          write the outcome (checklist and before/after summary) as JSON to FILE
  --json                 the checklist and outcome as JSON on stdout
  Exit 1 when a check fails, the fix is not confirmed, gives up (--wait-timeout, lock_timeout), is cancelled or fails.
${connFlagsUsage}`;

function seconds(value: string | undefined, flag: string, fallback: number): number {
  return value === undefined ? fallback : checkSeconds(intFlag(value, flag.slice(2), fallback), flag);
}

function settingsFrom(f: Record<string, string | boolean | undefined>): FixSettings {
  return {
    waitTimeoutS: seconds(f['wait-timeout'] as string | undefined, '--wait-timeout', defaultFixSettings.waitTimeoutS),
    lockTimeoutS: seconds(f['lock-timeout'] as string | undefined, '--lock-timeout', defaultFixSettings.lockTimeoutS),
    maxXactAgeS: seconds(f['max-xact-age'] as string | undefined, '--max-xact-age', defaultFixSettings.maxXactAgeS),
    diskMarginPct: intFlag(f['disk-margin'] as string | undefined, 'disk-margin', defaultFixSettings.diskMarginPct),
    pgRepackPath: f['pg-repack'] as string | undefined,
  };
}

/** One line per event worth a line: phases, progress when it changes, lock waits when they change. */
function progressPrinter(io: CliIo): (e: FixEvent) => void {
  let lastProgress = '';
  let lastLocks = '/'; // no session on either side
  return (e) => {
    if (e.type === 'phase') io.err(`phase: ${e.phase}`);
    else if (e.type === 'output') io.err(e.line);
    else if (e.type === 'started') io.err(startedLine(e));
    else if (e.type === 'progress') {
      const line = `progress: ${e.phase}: ${e.detail}${e.percent === null ? '' : ` (${e.percent}%)`}`;
      if (line !== lastProgress) io.err(line);
      lastProgress = line;
    } else {
      // a line when the sessions change, not every second as their wait grows
      const who = `${e.waitsFor.map((p) => p.pid).join(',')}/${e.waitedBy.map((p) => p.pid).join(',')}`;
      const text = lockWaitLines(e.waitsFor, e.waitedBy).join('; ');
      if (who !== lastLocks) io.err(text ? `locks: ${text}` : 'locks: no lock waits');
      lastLocks = who;
    }
  };
}

function hostShellFor(target: ConnectionTarget, io: CliIo, f: Parameters<typeof sshTargetFromFlags>[0]) {
  const ssh = sshTargetFromFlags(f, io);
  return async (): Promise<HostShell | string> => {
    const sh = await databaseHostShell(target.host, ssh);
    return typeof sh === 'string' ? `${sh} (--ssh user@host)` : sh;
  };
}

async function cleanup(
  f: ReturnType<typeof parseFlags<typeof options>>['values'],
  io: CliIo,
  settings: FixSettings,
): Promise<number> {
  if (!f.yes && !f['dry-run'] && !io.ask)
    throw new UsageError(
      'cleanup drops objects: stdin is not a terminal to ask on; pass --yes to confirm (or --dry-run)',
    );
  const { client, reopen } = await openCliSessionFrom(f, io);
  try {
    const tableOid = f.table !== undefined ? (await findFixObject(client, { table: f.table })).table.oid : undefined;
    const leftovers = await findLeftovers(client, tableOid);
    const script = cleanupScript(leftovers, settings.lockTimeoutS);
    if (f.json && f['dry-run']) io.out(JSON.stringify({ leftovers, script }, null, 2));
    if (leftovers.length === 0) {
      if (!f.json) io.err('no leftovers of interrupted fixes found');
      else if (!f['dry-run']) io.out(JSON.stringify({ leftovers, dropped: [], skipped: [] }, null, 2));
      return 0;
    }
    for (const l of leftoversText(leftovers)) io.err(l);
    if (f['dry-run']) {
      if (!f.json) io.out(script.trimEnd());
      return leftovers.some((l) => l.inUseBy !== null) ? 1 : 0;
    }
    io.err(`the cleanup runs:\n${script.trimEnd()}`);
    if (!f.yes && !(await confirmAction(io, 'Drop these leftovers', '--yes'))) {
      io.err('pgops fix cleanup: not confirmed; nothing dropped');
      return 1;
    }
    const r = await cleanUpLeftovers(reopen, leftovers, settings.lockTimeoutS);
    if (f.json) io.out(JSON.stringify({ leftovers, dropped: r.dropped, skipped: r.skipped }, null, 2));
    io.err(
      `dropped ${r.dropped.length} leftover${r.dropped.length === 1 ? '' : 's'}` +
        (r.skipped.length
          ? `; ${r.skipped.length} left alone while in use (run the cleanup again when the sessions named above end)`
          : ''),
    );
    return r.skipped.length ? 1 : 0;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values: f, positionals } = parseFlags(argv, options, true);
  const action = positionals[0];
  if (!action || !(actions as readonly string[]).includes(action) || positionals.length > 1)
    throw new UsageError(`give one action: ${actions.join(', ')}${action ? ` (not "${positionals.join(' ')}")` : ''}`);
  if (f.table !== undefined && f.index !== undefined) throw new UsageError('give --table or --index, not both');
  const settings = settingsFrom(f);
  if (action === 'cleanup') {
    if (f.index !== undefined) throw new UsageError('cleanup takes --table (or nothing, for the whole database)');
    return cleanup(f, io, settings);
  }
  if (f.table === undefined && f.index === undefined) throw new UsageError('give --table T or --index I');
  if (!f.yes && !f['dry-run'] && !io.ask)
    throw new UsageError(
      `${action} writes to the database: stdin is not a terminal to ask on; pass --yes to confirm (or --dry-run)`,
    );
  const { client, target, info, reopen } = await openCliSessionFrom(f, io);
  const abort = new AbortController();
  const onSigint = () => {
    io.err('cancelling the fix…');
    abort.abort();
  };
  try {
    if (action === 'repack') checkProgramCanSignIn('pg_repack', info.authMethod, info.description);
    const prepared = await prepareFix(
      client,
      { table: f.table, index: f.index },
      { action: action as FixAction, full: f.full, onlyIndexes: f['only-indexes'] },
      target,
      settings,
      { serverMajor: Math.floor(info.serverVersionNum / 10000), hostShell: hostShellFor(target, io, f), env: io.env },
    );
    const { object, plan, checklist } = prepared;
    const script = dryRunText(plan, prepared.repackProgram?.path).trimEnd();
    const write = (outcome: FixOutcome | null) => {
      const doc = fixRecord(prepared, outcome);
      if (f.output) writeFileAtomic(path.resolve(io.cwd, f.output), `${JSON.stringify(doc, null, 2)}\n`);
      if (f.json) io.out(JSON.stringify(doc, null, 2));
    };
    for (const l of checklistText(checklist)) io.err(l);
    io.err(plan.effect);
    if (f['dry-run']) {
      if (!f.json) io.out(script);
      write(null);
      return checklist.blocked ? 1 : 0;
    }
    if (checklist.blocked) {
      write(null);
      return 1;
    }
    if (!f.yes) {
      io.err(`pgops runs:\n${script}`);
      const question = checklist.needsGo
        ? `Run the ${action} on ${info.description} despite the warnings above`
        : `Run the ${action} on ${info.description}`;
      if (!(await confirmAction(io, question, '--yes'))) {
        io.err(`pgops fix ${action}: not confirmed; nothing ran`);
        return 1;
      }
    }
    process.on('SIGINT', onSigint);
    const outcome = await runFix(object, plan, {
      monitor: client,
      serverVersionNum: info.serverVersionNum,
      openFixSession: () => reopen(fixSessionSafety('pgops fix', settings.lockTimeoutS)),
      repack: prepared.repackProgram ? { program: prepared.repackProgram.path, login: target, env: io.env } : undefined,
      signal: abort.signal,
      onEvent: progressPrinter(io),
    });
    for (const l of outcomeText(outcome)) io.err(l);
    if (outcome.leftovers.length)
      io.err(
        'clean them up with the same connection flags and: ' +
          shellCommandLine(['pgops', 'fix', 'cleanup', '--table', qualifiedName(object.table)]) +
          ' (it shows the statements before it drops anything)',
      );
    write(outcome);
    if (outcome.status === 'done' && !f.json)
      io.out(
        `done: ${outcome.message}; table ${formatBytes(outcome.before.tableBytes)} → ${formatBytes(outcome.after?.tableBytes ?? 0)}`,
      );
    return outcome.status === 'done' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    await client.end().catch(() => undefined);
  }
}

export const fixCommand: CliCommand = {
  name: 'fix',
  summary:
    'VACUUM, REINDEX CONCURRENTLY or pg_repack a relation after pre-flight checks, with progress, cancel and cleanup',
  usage,
  options,
  actions,
  run,
};
