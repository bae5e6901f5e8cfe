/**
 * The report's sections and items as collapsible panels, with a filter box that narrows items
 * and table rows to those containing the text (e.g. one pg_settings row).
 */
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { JsonValue, Report, ReportItem } from '../../src/core/report/model';
import { apexSeriesChart } from './charts';
import { cellText, h } from './dom';
import { sortableTable } from './table';

interface Collapsible extends HTMLElement {
  open: boolean;
  heading: string;
  description: string;
}

function collapsible(heading: string, description: string, open: boolean): Collapsible {
  const el = document.createElement('vscode-collapsible') as Collapsible;
  el.heading = heading;
  el.description = description;
  el.open = open;
  return el;
}

/** One value of an item, by its shape (a joined item holds one per report). */
function renderValue(item: ReportItem, value: JsonValue, itemKey: string): HTMLElement {
  if (value === null) return h('p', { class: 'muted' }, '(not in this report)');
  if (typeof value === 'string') {
    if (item.item_type === 'link') return h('p', {}, h('code', { class: 'path' }, value));
    return h('pre', { class: 'text' }, value);
  }
  if (item.item_type === 'table' && Array.isArray(value)) {
    if (value.length === 0) return h('p', { class: 'muted' }, 'Empty result');
    const width = Math.max(item.theader?.length ?? 0, ...value.map((r) => (Array.isArray(r) ? r.length : 0)));
    const titles = Array.from({ length: width }, (_, i) => item.theader?.[i] ?? `column ${i + 1}`);
    const numeric = titles.map((_, ci) =>
      value.every((r) => !Array.isArray(r) || r[ci] === null || typeof r[ci] === 'number'),
    );
    return sortableTable(
      titles.map((t, ci) => ({ title: t, numeric: numeric[ci] })),
      value,
    );
  }
  if (item.item_type === 'chart') {
    return h('div', {}, apexSeriesChart(item.header, value) ?? h('pre', { class: 'text' }, cellText(value)));
  }
  return h('pre', { class: 'text', 'data-item': itemKey }, cellText(value));
}

function renderItem(sectionKey: string, itemKey: string, item: ReportItem, joined: boolean): Collapsible {
  const tags = [item.state === 'hidden' ? 'hidden' : '', joined ? 'differs' : ''].filter(Boolean).join(', ');
  const panel = collapsible(item.header, tags ? `${itemKey} · ${tags}` : itemKey, item.state === 'expanded');
  panel.dataset.key = `${sectionKey}.${itemKey}`;
  if (joined) panel.classList.add('differs');
  const body = h('div', { class: 'item-body' });
  if (item.description && item.description.trim()) body.append(h('p', { class: 'description' }, item.description));
  if (joined) {
    for (const [name, value] of item.data as Array<[string, JsonValue]>)
      body.append(h('h4', { class: 'report-name' }, name), renderValue(item, value, itemKey));
  } else {
    body.append(renderValue(item, item.data, itemKey));
  }
  panel.append(body);
  return panel;
}

/** Shows items (and table rows) containing `text`; empty text shows everything again. */
function applyFilter(root: HTMLElement, text: string): void {
  const needle = text.trim().toLowerCase();
  for (const sec of root.querySelectorAll<Collapsible>('vscode-collapsible.section')) {
    let sectionHit = false;
    for (const item of sec.querySelectorAll<Collapsible>('vscode-collapsible.item')) {
      let hit =
        !needle ||
        item.heading.toLowerCase().includes(needle) ||
        (item.dataset.key ?? '').toLowerCase().includes(needle);
      for (const row of item.querySelectorAll<HTMLTableRowElement>('tbody tr')) {
        const rowHit = !needle || hit || (row.textContent ?? '').toLowerCase().includes(needle);
        row.hidden = !rowHit;
        if (rowHit && needle) hit = true;
      }
      for (const pre of item.querySelectorAll('pre.text'))
        if (needle && (pre.textContent ?? '').toLowerCase().includes(needle)) hit = true;
      item.hidden = !hit;
      if (needle && hit) item.open = true;
      sectionHit ||= hit;
    }
    sec.hidden = !sectionHit;
    if (needle && sectionHit) sec.open = true;
  }
}

/** `joinedItems`: `[section, item]` keys of the items holding a join's side-by-side values (from the host). */
export function renderSections(report: Report, joinedItems: Array<[string, string]>): HTMLElement {
  const joined = new Set(joinedItems.map(([s, i]) => JSON.stringify([s, i])));
  const list = h('div', { class: 'sections' });
  for (const [sk, sec] of Object.entries(report.sections)) {
    const panel = collapsible(sec.header || sk, sec.description, sec.state !== 'collapsed');
    panel.classList.add('section');
    for (const [ik, item] of Object.entries(sec.reports)) {
      const el = renderItem(sk, ik, item, joined.has(JSON.stringify([sk, ik])));
      el.classList.add('item');
      panel.append(el);
    }
    list.append(panel);
  }
  const filter = document.createElement('vscode-textfield') as HTMLElement & { value: string; placeholder: string };
  filter.placeholder = 'Filter items and rows, e.g. shared_buffers';
  filter.classList.add('filter');
  filter.setAttribute('aria-label', 'Filter environment sections');
  filter.addEventListener('input', () => applyFilter(list, filter.value));
  return h('section', { class: 'environment' }, h('h2', {}, 'Environment and raw items'), filter, list);
}
