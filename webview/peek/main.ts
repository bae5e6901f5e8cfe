/** Changes peeked from a logical slot (not consumed): one row per change, decoded text as in test_decoding. */
import type { HostToPeek, PeekToHost } from '../../src/protocol/peek';
import { isHostToPeek } from '../../src/protocol/peek';
import { el } from '../shared/dom';

declare function acquireVsCodeApi(): { postMessage(msg: PeekToHost): void };
const vscode = acquireVsCodeApi();

const app = document.getElementById('app') ?? document.body;
const title = el('h2', 'Peek changes');
const info = el('p', 'waiting for data…', 'muted');
const warnings = el('div');
const filter = el('input');
filter.placeholder = 'filter rows (text)';
const table = el('table');
app.append(title, info, warnings, filter, table);

let current: HostToPeek | undefined;

function render(): void {
  if (!current) return;
  const needle = filter.value.toLowerCase();
  const head = el('tr');
  for (const h of ['lsn', 'xid', 'kind', 'relation', 'change']) head.appendChild(el('th', h));
  const rows = current.rows
    .filter((r) => !needle || `${r.kind} ${r.relation ?? ''} ${r.text}`.toLowerCase().includes(needle))
    .map((r) => {
      const tr = el('tr');
      tr.append(
        el('td', r.lsn, 'mono'),
        el('td', r.xid, 'num'),
        el('td', r.kind),
        el('td', r.relation ?? ''),
        el('td', r.text, 'mono'),
      );
      return tr;
    });
  table.replaceChildren(head, ...rows);
}

filter.addEventListener('input', render);
window.addEventListener('message', (e: MessageEvent<unknown>) => {
  if (!isHostToPeek(e.data)) return;
  current = e.data;
  title.textContent = `Peek: ${current.slotName} (${current.plugin})`;
  const opts = Object.entries(current.options)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  warnings.replaceChildren(...current.warnings.map((w) => el('p', `Server warning: ${w}`, 'warning')));
  const count = `${current.rows.length} change(s)${current.rows.length >= current.limit ? ` (first ${current.limit})` : ''}`;
  info.textContent = `${count}, not consumed${opts ? ` · ${opts}` : ''}`;
  render();
});
vscode.postMessage({ type: 'ready' });
