/**
 * The fix flow shared by `pgops fix` and the VS Code commands: find the object, plan the fix, check it;
 * then (after the caller's confirmation) run it. The texts both show come from here too.
 */
import type { HostShell } from '../bench/hostShell';
import type { ConnectionTarget } from '../conn/session';
import { formatBytes } from '../diag/replication';
import type { Queryable } from '../diag/queryable';
import { PgOpsError } from '../errors';
import { fileTimestamp, reportFileBase } from '../report';
import { formatAge } from '../ops/activity';
import type { Leftover } from './leftovers';
import type { FixPlan, FixRequest } from './plan';
import { dryRunText, fixPlan } from './plan';
import type { Check, CheckStatus, Checklist } from './preflight';
import { preflight } from './preflight';
import type { RepackProgram } from './repackTool';
import { findRepackProgram } from './repackTool';
import type { BloatFigure, FixOutcome, LockParty } from './run';
import type { FixObject } from './target';
import { findFixObject } from './target';

export interface FixSettings {
  /** Seconds pg_repack waits for each lock (--wait-timeout; pgops.bloat.repackWaitTimeout). */
  waitTimeoutS: number;
  /** lock_timeout of VACUUM and REINDEX, seconds (--lock-timeout; pgops.fix.lockTimeout). */
  lockTimeoutS: number;
  /** Transactions older than this are blockers, seconds (--max-xact-age; pgops.fix.maxTransactionAge). */
  maxXactAgeS: number;
  /** Free-space margin over the copy, percent (--disk-margin; pgops.fix.diskMargin). */
  diskMarginPct: number;
  /** An explicit pg_repack program (--pg-repack; pgops.fix.pgRepackPath). */
  pgRepackPath?: string;
}

export const defaultFixSettings: FixSettings = {
  waitTimeoutS: 60,
  lockTimeoutS: 10,
  maxXactAgeS: 60,
  diskMarginPct: 20,
};

/** The settings of the VS Code side, checked: a bad value names its setting. `get` reads one key under pgops. */
export function fixSettingsFrom(get: (key: string) => unknown): FixSettings {
  const whole = (key: string, fallback: number, min: number): number => {
    const v = get(key) ?? fallback;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min) return v;
    throw new PgOpsError(
      'fix-setting',
      `pgops.${key} must be a whole number of at least ${min}, not ${JSON.stringify(v)}`,
      `Correct pgops.${key} in the settings (or remove it for the default, ${fallback}).`,
    );
  };
  const program = get('fix.pgRepackPath');
  return {
    waitTimeoutS: whole('bloat.repackWaitTimeout', defaultFixSettings.waitTimeoutS, 1),
    lockTimeoutS: whole('fix.lockTimeout', defaultFixSettings.lockTimeoutS, 1),
    maxXactAgeS: whole('fix.maxTransactionAge', defaultFixSettings.maxXactAgeS, 1),
    diskMarginPct: whole('fix.diskMargin', defaultFixSettings.diskMarginPct, 0),
    pgRepackPath: typeof program === 'string' && program.trim() ? program.trim() : undefined,
  };
}

export interface PreparedFix {
  object: FixObject;
  plan: FixPlan;
  checklist: Checklist;
  /** Found only for repack. */
  repackProgram?: RepackProgram;
}

export async function prepareFix(
  client: Queryable,
  spec: { table?: string; index?: string },
  request: Omit<FixRequest, 'waitTimeoutS' | 'lockTimeoutS'>,
  target: Pick<ConnectionTarget, 'host' | 'port' | 'user' | 'database'>,
  settings: FixSettings,
  opts: { serverMajor: number; hostShell?: () => Promise<HostShell | string>; env?: NodeJS.ProcessEnv },
): Promise<PreparedFix> {
  const object = await findFixObject(client, spec);
  const plan = fixPlan(
    object,
    { ...request, waitTimeoutS: settings.waitTimeoutS, lockTimeoutS: settings.lockTimeoutS },
    // pg_repack gets the endpoint pgops chose; a socket directory is a host for it too
    { database: target.database, host: target.host, port: target.port, user: target.user },
  );
  let repackProgram: RepackProgram | PgOpsError | undefined;
  if (request.action === 'repack') {
    try {
      repackProgram = findRepackProgram({
        setting: settings.pgRepackPath,
        serverMajor: opts.serverMajor,
        env: opts.env,
      });
    } catch (err) {
      if (!PgOpsError.is(err)) throw err;
      repackProgram = err;
    }
  }
  const checklist = await preflight(client, object, plan, {
    maxXactAgeS: settings.maxXactAgeS,
    diskMarginPct: settings.diskMarginPct,
    repackProgram,
    hostShell: opts.hostShell,
  });
  return { object, plan, checklist, repackProgram: PgOpsError.is(repackProgram) ? undefined : repackProgram };
}

const marks: Record<CheckStatus, string> = { ok: '✔', warn: '⚠', unknown: '?', fail: '✘' };

export function checkLine(c: Check): string {
  return `${marks[c.status]} ${c.title}: ${c.detail}`;
}

/** The checklist as lines of text, and what it means for the run. */
export function checklistText(list: Checklist): string[] {
  const verdict = list.blocked
    ? 'A check failed: the fix does not run.'
    : list.needsGo
      ? 'The warnings above need an explicit go.'
      : 'All checks passed.';
  return [...list.checks.map(checkLine), verdict];
}

function bloatText(b: BloatFigure | string | null): string {
  if (b === null) return 'not measured';
  if (typeof b === 'string') return b;
  return `${b.bloatPct}% (${formatBytes(b.wastedBytes)} wasted, ${b.method === 'estimate' ? 'estimated' : b.method})`;
}

function partyText(p: LockParty): string {
  return `pid ${p.pid}${p.user ? ` (${p.user})` : ''}${p.state ? `, ${p.state}` : ''}${p.ageS === null ? '' : `, ${formatAge(p.ageS)}`}`;
}

/** A running fix's lock waits, a line per session: whom the fix waits for, who waits for the fix. */
export function lockWaitLines(waitsFor: readonly LockParty[], waitedBy: readonly LockParty[]): string[] {
  const line = (prefix: string, p: LockParty): string => {
    const age = p.ageS === null ? '' : `, ${formatAge(p.ageS)}`;
    const who = `pid ${p.pid}${p.user ? ` (${p.user}${p.application ? `, ${p.application}` : ''})` : ''}`;
    return `${prefix} ${who}${p.state ? `, ${p.state}` : ''}${age}${p.lock ? `, ${p.lock}` : ''}${p.query ? `: ${p.query.slice(0, 120)}` : ''}`;
  };
  return [...waitsFor.map((p) => line('the fix waits for', p)), ...waitedBy.map((p) => line('waits for the fix:', p))];
}

/** Where the fix runs, once it started. */
export function startedLine(e: { pid: number; what: 'session' | 'pg_repack' }): string {
  return `${e.what === 'pg_repack' ? 'pg_repack runs as process' : 'the fix runs in backend'} ${e.pid}`;
}

/** The before/after summary as lines of text. */
export function outcomeText(out: FixOutcome): string[] {
  const lines = [`${out.status}: ${out.message} (${formatAge(out.durationMs / 1000)})`];
  const size = (s: FixOutcome['before']) =>
    `table ${formatBytes(s.tableBytes)}, indexes ${formatBytes(s.indexesBytes)}${s.indexBytes === null ? '' : `, index ${formatBytes(s.indexBytes)}`}`;
  lines.push(`before: ${size(out.before)}; bloat ${bloatText(out.bloatBefore)}`);
  if (out.after) lines.push(`after:  ${size(out.after)}; bloat ${bloatText(out.bloatAfter)}`);
  const l = out.locks;
  lines.push(
    `lock waits: the fix waited ${formatAge(l.fixWaitedS)}${l.blockers.length ? ` for ${l.blockers.map(partyText).join('; ')}` : ''}; ` +
      `${l.waiters} session${l.waiters === 1 ? '' : 's'} waited for the fix${l.waiters ? ` (longest ${formatAge(l.longestWaiterS)})` : ''}`,
  );
  if (out.leftovers.length) lines.push(...leftoversText(out.leftovers));
  return lines;
}

export function leftoversText(leftovers: readonly Leftover[]): string[] {
  return [
    `${leftovers.length} leftover${leftovers.length === 1 ? '' : 's'} of an interrupted fix:`,
    ...leftovers.map(
      (l) =>
        `  ${l.kind} ${l.object}${l.bytes ? ` (${formatBytes(l.bytes)})` : ''}: ${l.origin}` +
        (l.inUseBy === null ? '' : ` — in use by pid ${l.inUseBy}, left alone until it ends`),
    ),
  ];
}

/** What is saved of a fix (`--output`, Save Summary): the object, the checklist, what ran and how it ended. */
export interface FixRecord {
  action: FixPlan['request']['action'];
  object: { schema: string; name: string; kind: 'table' | 'index'; table: string };
  checklist: Checklist;
  /** Exactly what runs (the dry run). */
  plan: string;
  outcome: FixOutcome | null;
}

export function fixRecord(p: PreparedFix, outcome: FixOutcome | null): FixRecord {
  return {
    action: p.plan.request.action,
    object: {
      schema: p.object.schema,
      name: p.object.name,
      kind: p.object.kind,
      table: `${p.object.table.schema}.${p.object.table.name}`,
    },
    checklist: p.checklist,
    plan: dryRunText(p.plan, p.repackProgram?.path),
    outcome,
  };
}

/** A file name for a saved fix record: fix_<action>_<schema.name>_<time>.json, reduced to safe characters. */
export function fixRecordFileName(p: PreparedFix, at: Date): string {
  // the fix_ prefix keeps the base from being empty; the time is added after the cut, so it is always there
  const base = reportFileBase(`fix_${p.plan.request.action}_${p.object.schema}.${p.object.name}`).slice(0, 90);
  return `${base}_${fileTimestamp(at)}.json`;
}
