/** Plain tables with click-to-sort headers (numbers numerically, text by locale). */
import { cellText, h } from './dom';

export interface Column {
  title: string;
  /** Numeric columns align right and sort by value. */
  numeric?: boolean;
  format?: (v: unknown) => string;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined || a === '') return 1;
  if (b === null || b === undefined || b === '') return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return cellText(a).localeCompare(cellText(b), undefined, { numeric: true });
}

function cell(v: unknown, col: Column): HTMLTableCellElement {
  if (v !== null && typeof v === 'object') return h('td', {}, h('pre', { class: 'cell-json' }, cellText(v)));
  return h('td', col.numeric ? { class: 'num' } : {}, col.format ? col.format(v) : cellText(v));
}

/** A table of rows; rows that are not arrays (pg_perfbench's "Skipping invalid object" strings) span the table. */
export function sortableTable(
  columns: Column[],
  rows: unknown[],
  opts: { className?: string; sortable?: boolean } = {},
): HTMLTableElement {
  const table = h('table', { class: `data ${opts.className ?? ''}`.trim() });
  const tbody = h('tbody');
  let order = rows.map((_, i) => i);
  let sortCol = -1;
  let asc = true;
  const fill = () => {
    tbody.replaceChildren(
      ...order.map((i) => {
        const row = rows[i];
        if (!Array.isArray(row))
          return h('tr', { class: 'note' }, h('td', { colspan: String(columns.length) }, cellText(row)));
        return h('tr', {}, ...columns.map((c, ci) => cell(row[ci], c)));
      }),
    );
  };
  const headers = columns.map((c, ci) => {
    const th = h('th', c.numeric ? { class: 'num' } : {}, c.title);
    if (opts.sortable !== false) {
      th.classList.add('sortable');
      th.setAttribute('role', 'button');
      th.setAttribute('tabindex', '0');
      th.title = 'Sort';
      const sort = () => {
        asc = sortCol === ci ? !asc : true;
        sortCol = ci;
        order = rows
          .map((_, i) => i)
          .sort((a, b) => {
            const ra = rows[a];
            const rb = rows[b];
            const d = compare(Array.isArray(ra) ? ra[ci] : undefined, Array.isArray(rb) ? rb[ci] : undefined);
            return asc ? d : -d;
          });
        for (const other of table.querySelectorAll('th')) other.removeAttribute('aria-sort');
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        fill();
      };
      th.addEventListener('click', sort);
      th.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          sort();
        }
      });
    }
    return th;
  });
  table.append(h('thead', {}, h('tr', {}, ...headers)), tbody);
  fill();
  return table;
}
