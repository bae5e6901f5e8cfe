/** Messages between the Fix panel (host) and its webview (webview/fix). Every text is rendered as text. */
import { isArrayOf, isBareMessage, isNumberOrNull, isRecord, isString, isStringOrNull } from './guards';

export type FixCheckStatus = 'ok' | 'warn' | 'unknown' | 'fail';

export interface FixPanelCheck {
  status: FixCheckStatus;
  title: string;
  detail: string;
}

/** Where the fix is: its checklist shown, running, finished (with its summary), or cleaning up after it. */
export type FixStage = 'checked' | 'running' | 'finished' | 'cleaning';

export interface FixPanelState {
  /** "VACUUM "public"."t" on <profile>". */
  title: string;
  stage: FixStage;
  checks: FixPanelCheck[];
  /** "All checks passed." or what the checklist means for the run. */
  verdict: string;
  /** What the fix does to locks and the table. */
  effect: string;
  /** Exactly what runs: the psql script or pg_repack's command line. */
  command: string;
  /** The Run button: null when a check failed. */
  runLabel: string | null;
  /** Progress while running: phase, percentage when counted, and what is counted. */
  progress: { phase: string; percent: number | null; detail: string } | null;
  /** Lock waits now, one line each (who the fix waits for, who waits for the fix). */
  locks: string[];
  /** The last lines the fix printed. */
  output: string[];
  /** The before/after summary, once finished. */
  summary: string[] | null;
  /** done, abandoned, cancelled or failed, once finished. */
  outcome: string | null;
  /** Leftovers of an interrupted fix on the table, one line each, and the cleanup that removes them. */
  leftovers: string[];
  cleanup: string | null;
  /** Where the summary was saved, once saved. */
  savedTo: string | null;
}

export type HostToFix = { type: 'state'; state: FixPanelState };

/** ready; the buttons: run, cancel, clean up, save the summary, open the Activity view, open the command in an editor. */
export type FixToHost = { type: 'ready' | 'run' | 'cancel' | 'cleanup' | 'save' | 'activity' | 'openCommand' };

export const fixPanelActions = ['ready', 'run', 'cancel', 'cleanup', 'save', 'activity', 'openCommand'] as const;

export function isFixToHost(m: unknown): m is FixToHost {
  return isBareMessage(m, fixPanelActions);
}

function isCheck(c: unknown): c is FixPanelCheck {
  return (
    isRecord(c) &&
    ['ok', 'warn', 'unknown', 'fail'].includes(c.status as string) &&
    isString(c.title) &&
    isString(c.detail)
  );
}

function isProgress(p: unknown): boolean {
  return p === null || (isRecord(p) && isString(p.phase) && isNumberOrNull(p.percent) && isString(p.detail));
}

function isState(s: unknown): s is FixPanelState {
  return (
    isRecord(s) &&
    [s.title, s.verdict, s.effect, s.command].every(isString) &&
    ['checked', 'running', 'finished', 'cleaning'].includes(s.stage as string) &&
    isArrayOf(s.checks, isCheck) &&
    [s.runLabel, s.outcome, s.cleanup, s.savedTo].every(isStringOrNull) &&
    isProgress(s.progress) &&
    [s.locks, s.output, s.leftovers].every((a) => isArrayOf(a, isString)) &&
    (s.summary === null || isArrayOf(s.summary, isString))
  );
}

export function isHostToFix(m: unknown): m is HostToFix {
  return isRecord(m) && m.type === 'state' && isState(m.state);
}
