/**
 * The Fix panel's state from the core's objects, and how each event of a running fix changes it. Free of
 * `vscode`, so the unit tests check what the panel will show.
 */
import { cleanupScript } from '../../core/fix/leftovers';
import type { Leftover } from '../../core/fix/leftovers';
import { dryRunText } from '../../core/fix/plan';
import type { PreparedFix } from '../../core/fix/prepare';
import { checklistText, leftoversText, lockWaitLines, outcomeText, startedLine } from '../../core/fix/prepare';
import type { FixEvent, FixOutcome } from '../../core/fix/run';
import type { FixPanelState } from '../../protocol/fix';

/** What runs, in a few words: the statement, or pg_repack and its target. */
export function fixWhat(p: PreparedFix): string {
  if (p.plan.sql) return p.plan.sql.statement.replace(/;$/, '');
  const args = p.plan.repack?.args ?? [];
  return ['pg_repack', ...args.filter((a) => /^--(table|index)=|^--only-indexes$/.test(a))].join(' ');
}

export function checkedState(p: PreparedFix, profileName: string): FixPanelState {
  const c = p.checklist;
  return {
    title: `${fixWhat(p)} on ${profileName}`,
    stage: 'checked',
    checks: c.checks.map((x) => ({ status: x.status, title: x.title, detail: x.detail })),
    verdict: checklistText(c).at(-1) ?? '',
    effect: p.plan.effect,
    command: dryRunText(p.plan, p.repackProgram?.path).trimEnd(),
    runLabel: c.blocked ? null : c.needsGo ? 'Run Despite Warnings…' : 'Run…',
    progress: null,
    locks: [],
    output: [],
    summary: null,
    outcome: null,
    leftovers: leftoversOf(p),
    cleanup: null,
    savedTo: null,
  };
}

/** The leftovers the checklist found on the table, so they show before a run too. */
function leftoversOf(p: PreparedFix): string[] {
  const l = p.checklist.checks.find((c) => c.id === 'leftovers')?.leftovers ?? [];
  return l.length ? leftoversText(l) : [];
}

const maxOutput = 40;

/** The state after one event of the running fix. */
export function withEvent(s: FixPanelState, e: FixEvent): FixPanelState {
  switch (e.type) {
    case 'started':
      return { ...s, output: [...s.output, startedLine(e)].slice(-maxOutput) };
    case 'phase':
      return { ...s, progress: { phase: e.phase, percent: null, detail: '' } };
    case 'progress':
      return { ...s, progress: { phase: e.phase, percent: e.percent, detail: e.detail } };
    case 'locks':
      return { ...s, locks: lockWaitLines(e.waitsFor, e.waitedBy) };
    case 'output':
      return { ...s, output: [...s.output, e.line].slice(-maxOutput) };
  }
}

export function finishedState(s: FixPanelState, out: FixOutcome, lockTimeoutS: number): FixPanelState {
  const free = out.leftovers.filter((l) => l.inUseBy === null);
  return {
    ...s,
    stage: 'finished',
    outcome: out.status,
    progress: { phase: out.status, percent: out.status === 'done' ? 100 : null, detail: out.message },
    summary: outcomeText(out),
    locks: [],
    leftovers: out.leftovers.length ? leftoversText(out.leftovers) : [],
    cleanup: free.length ? cleanupScript(out.leftovers, lockTimeoutS).trimEnd() : null,
  };
}

/** After a cleanup: the leftovers still there (in use ones, or none). */
export function cleanedState(s: FixPanelState, left: Leftover[], lockTimeoutS: number): FixPanelState {
  const free = left.filter((l) => l.inUseBy === null);
  return {
    ...s,
    stage: 'finished',
    leftovers: left.length ? leftoversText(left) : ['No leftovers remain.'],
    cleanup: free.length ? cleanupScript(left, lockTimeoutS).trimEnd() : null,
  };
}
