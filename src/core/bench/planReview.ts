/**
 * What a run plan read from a file would make pgops run and read, and whether the user must consent
 * first. The rule, as the README states it: a plan read from a file needs consent before pgops runs
 * anything or reads any of its scripts when
 *   1. it comes from a report (*.pgperf.json): whoever ran that sweep wrote it;
 *   2. it names its own programs: an initCommand or a workloadCommand;
 *   3. it reads a file outside the plan file's folder (symbolic links followed): a script in `files`,
 *      a `-f`/`--file` argument, or a `.sql` file a command names;
 *   4. it sweeps server settings: those of sighup context go through ALTER SYSTEM, for the whole server.
 * A plan built from the CLI's flags or the extension's prompts was typed by the user and needs none.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PgOpsError } from '../errors';
import { scriptFilesIn } from './benchReport';
import type { BenchEndpoint, CommandLine } from './commandLine';
import { formatCommandLine, placeholderBase, sweepCommands } from './commandLine';
import type { BenchPlan, PlanSource } from './plan';
import { sweepSchedule } from './plan';

export interface PlannedCommand {
  /** "init", "init before iteration 2", "iteration 1" */
  label: string;
  command: CommandLine;
  /** the command line as it would run (POSIX-quoted, no password) */
  line: string;
}

export interface PlannedFile {
  path: string;
  /** outside the plan file's folder, after following symbolic links */
  outside: boolean;
}

export interface PlanReview {
  source?: PlanSource;
  /** the plan file's folder: what is inside it counts as the plan's own */
  folder?: string;
  commands: PlannedCommand[];
  files: PlannedFile[];
  /** why the user must consent; empty when the plan may run as it is */
  reasons: string[];
  /** the server settings it sweeps */
  settings?: BenchPlan['settings'];
}

/** Values of -f/--file options (pgbench's `@weight` removed) and every `.sql` word, as pgops and the programs read them. */
function filesNamedBy(words: string[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const value =
      w === '-f' || w === '--file' ? words[++i] : /^(--file=|-f.)/.test(w) ? w.replace(/^(--file=|-f)/, '') : undefined;
    if (value) found.push(value.replace(/@\d+$/, ''));
  }
  return [...found, ...scriptFilesIn(words)];
}

/** The real path, following links; for a missing file, its folder's real path and its name. */
function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    const dir = path.dirname(p);
    return dir === p ? p : path.join(realPath(dir), path.basename(p));
  }
}

export function isInsideFolder(folder: string, file: string): boolean {
  const rel = path.relative(realPath(folder), realPath(file));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/**
 * Lists the exact command lines of a sweep (as runSweep builds them for this pgbench and endpoint)
 * and every file they read, and says why consent is needed. Reads no script and runs nothing.
 */
export function reviewPlan(
  plan: BenchPlan,
  source: PlanSource | undefined,
  pgbench: { path: string; version: string },
  endpoint: BenchEndpoint,
): PlanReview {
  const built = sweepCommands(plan, placeholderBase(plan, pgbench.path, endpoint), pgbench.version);
  const commands: PlannedCommand[] = [];
  const add = (label: string, command: CommandLine) =>
    commands.push({ label, command, line: formatCommandLine(command) });
  if (built.initPerIteration.length) built.initPerIteration.forEach((c, i) => add(`init before iteration ${i + 1}`, c));
  else if (built.init) add('init', built.init);
  built.workload.forEach((c, i) => add(`iteration ${i + 1}`, c));

  const folder = source ? path.dirname(source.file) : undefined;
  const paths = [...plan.files.map((f) => f.path), ...commands.flatMap((c) => filesNamedBy(c.command.args))].map((p) =>
    path.resolve(p),
  );
  const files = [...new Set(paths)].map((p) => ({
    path: p,
    outside: folder !== undefined && !isInsideFolder(folder, p),
  }));

  const reasons: string[] = [];
  if (source?.fromReport)
    reasons.push(`it comes from a report (${path.basename(source.file)}), written wherever that sweep ran`);
  if (source) {
    const own = [plan.initCommand && 'initCommand', plan.workloadCommand && 'workloadCommand'].filter(Boolean);
    if (own.length) reasons.push(`it names its own programs (${own.join(', ')})`);
    const outside = files.filter((f) => f.outside).length;
    if (outside) reasons.push(`it reads ${outside === 1 ? 'a file' : `${outside} files`} outside its folder ${folder}`);
    if (plan.settings?.length)
      reasons.push(
        `it sweeps server settings (${plan.settings.map((x) => x.name).join(', ')}), some maybe for the whole server`,
      );
  }
  return { source, folder, commands, files, reasons, settings: plan.settings };
}

export function needsConsent(review: PlanReview): boolean {
  return review.reasons.length > 0;
}

/** The commands and files of a review, one per line, for a refusal or a confirmation dialog. */
export function describePlanReview(review: PlanReview): string {
  const files = review.files.length
    ? review.files.map((f) => `  ${f.path}${f.outside ? "  (outside the plan's folder)" : ''}`)
    : ['  none besides the plan'];
  const lines = ['It would run:', ...review.commands.map((c) => `  ${c.label}: ${c.line}`), 'and read:', ...files];
  const settings = review.settings ?? [];
  if (settings.length) lines.push('with the settings:', ...settings.map((x) => `  ${x.name} = ${x.values.join(', ')}`));
  return lines.join('\n');
}

/** The CLI's refusal: names the plan, why, every command and file, and the flag that gives consent. */
export function planConsentError(review: PlanReview, flag: string): PgOpsError {
  return new PgOpsError(
    'bench-plan-consent',
    `The run plan ${review.source?.file ?? ''} needs your consent before pgops runs it or reads its scripts: ${review.reasons.join('; ')}`,
    `${describePlanReview(review)}\nCheck these commands and files, then run again with ${flag} to run them.`,
  );
}

/**
 * What a sweep changes on its server, for the confirmation a production profile asks for: every
 * sweep does (its workload runs there, and the resets change server state), not only its init.
 */
export function sweepServerChanges(plan: BenchPlan): string[] {
  const changes: string[] = [];
  const when = plan.init === 'once' ? 'once' : 'before every iteration';
  if (plan.init !== 'never') {
    changes.push(
      plan.initCommand
        ? `its init command runs ${when}`
        : `pgbench -i (scale ${plan.scale}) drops and recreates the pgbench_* tables ${when}`,
    );
  }
  const scripts = [...plan.builtin.map((b) => b.name), ...plan.files.map((f) => path.basename(f.path))];
  const workload = plan.workloadCommand
    ? 'its workload command'
    : `the workload (${scripts.join(', ') || 'tpcb-like'}, which may write)`;
  const runs = sweepSchedule(plan).length;
  changes.push(`${workload} runs ${runs === 1 ? 'once' : `${runs} times`}`);
  if (plan.settings?.length)
    changes.push(
      `the settings ${plan.settings.map((x) => `${x.name} (${x.values.join(', ')})`).join(', ')} are set for every cell ` +
        '(server-wide ones with ALTER SYSTEM and a reload, put back at the end)',
    );
  const resets = [
    plan.reset.checkpoint && 'CHECKPOINT',
    plan.reset.statStatementsReset && 'pg_stat_statements_reset()',
    plan.reset.statReset && 'pg_stat_reset()',
  ].filter(Boolean);
  if (resets.length) changes.push(`${resets.join(', ')} before each iteration`);
  return changes;
}
