/**
 * Fix panel: the pre-flight checklist and exactly what will run, then the fix's progress and lock waits
 * while it runs, then the before/after summary and any leftovers with their cleanup. Every value from the
 * host is rendered as text; the buttons only post their name.
 */
import type { FixPanelState, FixToHost } from '../../src/protocol/fix';
import { isHostToFix } from '../../src/protocol/fix';
import { el } from '../shared/dom';

declare function acquireVsCodeApi(): { postMessage(msg: FixToHost): void };
const vscode = acquireVsCodeApi();

const marks = { ok: '✔', warn: '⚠', unknown: '?', fail: '✘' } as const;
const classes = { ok: 'ok', warn: 'warning', unknown: 'warning', fail: 'error' } as const;

const app = document.getElementById('app') ?? document.body;
const title = el('h2', 'Fix');
const checksTitle = el('h3', 'Pre-flight checklist');
const checks = el('ul', undefined, 'checks');
const verdict = el('p', '');
const effect = el('p', '', 'muted');
const commandTitle = el('h3', 'What runs');
const command = el('pre', '', 'command');
const buttons = el('div', undefined, 'buttons');
const progressTitle = el('h3', 'Progress');
const phase = el('p', '', 'phase');
const bar = el('progress');
bar.max = 100;
const locksTitle = el('h3', 'Lock waits');
const locks = el('pre', '', 'locks');
const outputTitle = el('h3', 'Output');
const output = el('pre', '', 'output');
const summaryTitle = el('h3', 'Before and after');
const summary = el('pre', '', 'summary');
const leftoversTitle = el('h3', 'Leftovers');
const leftovers = el('pre', '', 'leftovers');
const saved = el('p', '', 'muted');
app.append(
  title,
  checksTitle,
  checks,
  verdict,
  effect,
  commandTitle,
  command,
  buttons,
  progressTitle,
  phase,
  bar,
  locksTitle,
  locks,
  outputTitle,
  output,
  summaryTitle,
  summary,
  leftoversTitle,
  leftovers,
  saved,
);

function button(label: string, type: FixToHost['type'], disabled = false): HTMLButtonElement {
  const b = el('button', label);
  b.dataset.action = type;
  b.disabled = disabled;
  b.addEventListener('click', () => vscode.postMessage({ type }));
  return b;
}

function shown(nodes: HTMLElement[], visible: boolean): void {
  for (const n of nodes) n.hidden = !visible;
}

function show(s: FixPanelState): void {
  title.textContent = s.title;
  checks.replaceChildren(
    ...s.checks.map((c) => {
      const li = el('li', undefined, `check ${c.status}`);
      li.append(
        el('span', `${marks[c.status]} `, classes[c.status]),
        el('strong', c.title),
        el('span', `: ${c.detail}`),
      );
      return li;
    }),
  );
  verdict.textContent = s.verdict;
  effect.textContent = s.effect;
  command.textContent = s.command;
  const list: HTMLButtonElement[] = [];
  if (s.stage === 'checked' && s.runLabel !== null) list.push(button(s.runLabel, 'run'));
  if (s.stage === 'running') list.push(button('Cancel', 'cancel'));
  if (s.stage === 'finished' && s.cleanup !== null) list.push(button('Clean Up Leftovers…', 'cleanup'));
  if (s.stage === 'finished' && s.summary !== null) list.push(button('Save Summary', 'save', s.savedTo !== null));
  list.push(button('Open in Editor', 'openCommand'), button('Show Activity', 'activity'));
  buttons.replaceChildren(...list);

  const running = s.stage !== 'checked';
  shown([progressTitle, phase, bar, locksTitle, locks], running);
  phase.textContent = s.progress
    ? `${s.progress.phase}: ${s.progress.detail}${s.progress.percent === null ? '' : ` (${s.progress.percent}%)`}`
    : s.stage === 'running'
      ? 'starting…'
      : (s.outcome ?? '');
  if (s.progress?.percent !== null && s.progress?.percent !== undefined) bar.value = s.progress.percent;
  else bar.removeAttribute('value');
  if (s.stage === 'finished' && s.outcome === 'done') bar.value = 100;
  locks.textContent = s.locks.length ? s.locks.join('\n') : 'No lock waits.';
  shown([outputTitle, output], s.output.length > 0);
  output.textContent = s.output.join('\n');
  shown([summaryTitle, summary], s.summary !== null);
  summary.textContent = (s.summary ?? []).join('\n');
  shown([leftoversTitle, leftovers], s.leftovers.length > 0);
  leftovers.textContent = [...s.leftovers, ...(s.cleanup ? ['', 'Cleanup:', s.cleanup] : [])].join('\n');
  saved.textContent = s.savedTo ? `Summary saved to ${s.savedTo}` : '';
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  const m: unknown = e.data;
  if (!isHostToFix(m)) return;
  show(m.state);
});
vscode.postMessage({ type: 'ready' });
