import * as path from 'node:path';
import { PgOpsError } from '../errors';
import { shellCommandLine } from '../shell';
import { searchPathOption } from '../sql';
import type { BenchPlan } from './plan';
import { sweepSchedule } from './plan';

/** Where pgbench connects; the password is never part of a command line (it goes through a pgpass file). */
export interface BenchEndpoint {
  host: string;
  port: number;
  user: string;
  database: string;
}

export interface PlaceholderValues {
  pgbenchPath: string;
  psqlPath: string;
  endpoint: BenchEndpoint;
  clients: number;
  durationS?: number;
  workloadPath: string;
}

/** One program run: the executable and its arguments (spawned without a shell). */
export interface CommandLine {
  program: string;
  args: string[];
}

/**
 * Splits a pg_perfbench-style command template into words: whitespace separates, single and double
 * quotes group, backslash escapes. Shell operators are refused because nothing runs through a shell.
 */
export function splitCommandTemplate(template: string, what: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < template.length) word += template[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < template.length) {
      word += template[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (/[|&;<>()`$]/.test(c)) {
      throw new PgOpsError(
        'bench-template',
        `The ${what} uses the shell operator "${c}", but commands run without a shell`,
        'Write one program with its arguments (e.g. "ARG_PSQL_PATH -f ARG_WORKLOAD_PATH/schema.sql ' +
          'ARG_PG_DATABASE"); put several steps in a SQL or pgbench script file.',
      );
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new PgOpsError('bench-template', `The ${what} has an unclosed ${quote} quote`, 'Close the quote.');
  if (inWord) words.push(word);
  if (words.length === 0)
    throw new PgOpsError('bench-template', `The ${what} is empty`, 'Give a program and its arguments.');
  return words;
}

/** Replaces pg_perfbench's ARG_* placeholders in one word; unknown ones and ARG_PG_PASSWORD are errors. */
export function fillPlaceholders(word: string, v: PlaceholderValues, what: string): string {
  const values: Record<string, string | undefined> = {
    ARG_PGBENCH_PATH: v.pgbenchPath,
    ARG_PSQL_PATH: v.psqlPath,
    ARG_PG_HOST: v.endpoint.host,
    ARG_PG_PORT: String(v.endpoint.port),
    ARG_PG_USER: v.endpoint.user,
    ARG_PG_DATABASE: v.endpoint.database,
    ARG_PGBENCH_CLIENTS: String(v.clients),
    ARG_PGBENCH_TIME: v.durationS === undefined ? undefined : String(v.durationS),
    ARG_WORKLOAD_PATH: v.workloadPath,
  };
  return word.replace(/ARG_[A-Z_]+/g, (name) => {
    if (name === 'ARG_PG_PASSWORD') {
      throw new PgOpsError(
        'bench-template',
        `The ${what} uses ARG_PG_PASSWORD`,
        'Remove it: pgops hands the password to pgbench and psql through a temporary pgpass file, never on a command line.',
      );
    }
    const value = values[name];
    if (value === undefined) {
      throw new PgOpsError(
        'bench-template',
        `The ${what} uses the unknown or unset placeholder ${name}`,
        `Use one of ${Object.keys(values).join(', ')}.`,
      );
    }
    return value;
  });
}

export function fillTemplate(template: string, v: PlaceholderValues, what: string): CommandLine {
  const [program, ...args] = splitCommandTemplate(template, what).map((w) => fillPlaceholders(w, v, what));
  return { program, args };
}

function connectionArgs(e: BenchEndpoint): string[] {
  return ['-h', e.host, '-p', String(e.port), '-U', e.user];
}

/** `pgbench -i` for the plan (or its init template). */
export function initCommand(plan: BenchPlan, v: PlaceholderValues): CommandLine {
  if (plan.initCommand) return fillTemplate(plan.initCommand, v, 'init command');
  const args = [
    '-i',
    '-s',
    String(plan.scale),
    ...(plan.foreignKeys ? ['--foreign-keys'] : []),
    ...connectionArgs(v.endpoint),
    v.endpoint.database,
  ];
  return { program: v.pgbenchPath, args };
}

/** What the runner adds to see the run: progress every second and the per-transaction log. */
export interface Observation {
  progress: boolean;
  logPrefix?: string;
  samplingRate?: number;
  failuresDetailed: boolean;
}

function isPgbench(program: string): boolean {
  return path.basename(program) === 'pgbench';
}

/** The workload command of one iteration: built from the plan, or the workload template filled in. */
export function workloadCommand(plan: BenchPlan, v: PlaceholderValues, obs: Observation): CommandLine {
  const observe = (args: string[]): string[] => {
    const extra: string[] = [];
    if (obs.progress && !args.some((a) => a === '-P' || a.startsWith('--progress') || /^-P\d/.test(a)))
      extra.push('-P', '1');
    if (obs.logPrefix && !args.some((a) => a === '-l' || a === '--log')) {
      extra.push('-l', `--log-prefix=${obs.logPrefix}`);
      if (obs.samplingRate !== undefined && obs.samplingRate < 1) extra.push(`--sampling-rate=${obs.samplingRate}`);
    }
    if (obs.failuresDetailed && !args.includes('--failures-detailed')) extra.push('--failures-detailed');
    return extra;
  };
  if (plan.workloadCommand) {
    const cmd = fillTemplate(plan.workloadCommand, v, 'workload command');
    if (!isPgbench(cmd.program)) return cmd;
    // options must come before the database name for pgbench's getopt on every platform
    return { program: cmd.program, args: [...observe(cmd.args), ...cmd.args] };
  }
  const threads = Math.min(plan.threads ?? 1, v.clients);
  const args = ['-c', String(v.clients), '-j', String(threads)];
  if (plan.transactions !== undefined && plan.iterate === 'clients') args.push('-t', String(plan.transactions));
  else args.push('-T', String(v.durationS));
  if (plan.protocol) args.push('-M', plan.protocol);
  for (const b of plan.builtin) args.push('-b', `${b.name}@${b.weight}`);
  for (const f of plan.files) args.push('-f', `${f.path}@${f.weight}`);
  if (plan.rate !== undefined) args.push('--rate', String(plan.rate));
  if (plan.latencyLimitMs !== undefined) args.push('--latency-limit', String(plan.latencyLimitMs));
  if (plan.noVacuum) args.push('-n');
  args.push(...plan.extraArgs);
  args.push(...observe(args));
  args.push(...connectionArgs(v.endpoint), v.endpoint.database);
  return { program: v.pgbenchPath, args };
}

/** What every iteration's placeholders share: this pgbench, its psql, the endpoint (without its password) and the workload folder. */
export function placeholderBase(
  plan: BenchPlan,
  pgbenchPath: string,
  e: BenchEndpoint,
): Omit<PlaceholderValues, 'clients' | 'durationS'> {
  return {
    pgbenchPath,
    psqlPath: path.join(path.dirname(pgbenchPath), 'psql'),
    endpoint: { host: e.host, port: e.port, user: e.user, database: e.database },
    workloadPath: plan.workloadPath ?? process.cwd(),
  };
}

/** Values the ARG_* placeholders and the built command lines use for iteration `value`. */
export function iterationValues(
  plan: BenchPlan,
  value: number,
  base: Omit<PlaceholderValues, 'clients' | 'durationS'>,
): PlaceholderValues {
  return plan.iterate === 'clients'
    ? { ...base, clients: value, durationS: plan.durationS }
    : { ...base, clients: plan.clients, durationS: value };
}

/** Every command line a sweep runs, by iteration: what runSweep runs and what the plan review shows. */
export interface SweepCommands {
  /** the init command of the first iteration: run once before the sweep (init "once"), recorded in the report */
  init?: CommandLine;
  /** init "every-iteration": the init command before each iteration (placeholders filled per iteration) */
  initPerIteration: CommandLine[];
  workload: CommandLine[];
}

/** `--failures-detailed` exists since pgbench 15; older ones would refuse the option. */
export function pgbenchHasFailuresDetailed(pgbenchVersion: string): boolean {
  return Number(pgbenchVersion.match(/\)\s+(\d+)/)?.[1] ?? 0) >= 15;
}

export function sweepCommands(
  plan: BenchPlan,
  base: Omit<PlaceholderValues, 'clients' | 'durationS'>,
  pgbenchVersion: string,
): SweepCommands {
  const failuresDetailed = pgbenchHasFailuresDetailed(pgbenchVersion);
  const values = sweepSchedule(plan).map((run) => iterationValues(plan, run.value, base));
  return {
    init: plan.init === 'never' ? undefined : initCommand(plan, values[0]),
    initPerIteration: plan.init === 'every-iteration' ? values.map((v) => initCommand(plan, v)) : [],
    workload: values.map((v, i) =>
      workloadCommand(plan, v, {
        progress: true,
        failuresDetailed,
        // relative to pgbench's working directory (the sweep's temp dir), so the recorded command lines do not vary run to run
        logPrefix: plan.transactionLog.enabled ? `it${i}` : undefined,
        samplingRate: plan.transactionLog.samplingRate,
      }),
    ),
  };
}

/** A command line for people to read and paste (POSIX-quoted). It never contains a password. */
export function formatCommandLine(cmd: CommandLine): string {
  return shellCommandLine([cmd.program, ...cmd.args]);
}

/**
 * PGOPTIONS of pgbench and the plan's commands: the caller's own PGOPTIONS, then the plan's
 * search_path (last, so it wins). pgbench cannot get pg_catalog first (`pgbench -i` creates its
 * tables in the first schema), so the path is the plan's schemas with pg_catalog implicitly before
 * them (which wins for identical signatures; the built-in scripts use only exactly matching types),
 * and without "$user".
 */
export function pgbenchOptions(inherited: string | undefined, plan: Pick<BenchPlan, 'searchPath'>): string {
  const ours = searchPathOption(plan.searchPath);
  return inherited?.trim() ? `${inherited.trim()} ${ours}` : ours;
}
