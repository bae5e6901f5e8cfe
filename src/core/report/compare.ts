/** Value equality for report data and a short, readable account of where two values differ. */
import type { JsonValue } from './model';

/** Deep equality; object keys compare as sets (order-insensitive), arrays by position. */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined || typeof a !== 'object' || typeof b !== 'object')
    return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as JsonValue[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, JsonValue>;
  const bo = b as Record<string, JsonValue>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  for (const k of ak) if (!(k in bo) || !jsonEqual(ao[k], bo[k])) return false;
  return true;
}

function clip(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Both texts cut to a window around their first differing character, so long lines show what differs. */
function around(a: string, b: string, max = 100): [string, string] {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const start = Math.max(0, i - Math.floor(max / 3));
  const cut = (t: string) => `${start > 0 ? '…' : ''}${clip(t.slice(start), max)}`;
  return [cut(a), cut(b)];
}

function show(v: JsonValue | undefined): string {
  return v === undefined ? '(missing)' : JSON.stringify(v);
}

/** The first place where two values differ, as `path` + both values. */
function firstDifference(
  a: JsonValue | undefined,
  b: JsonValue | undefined,
  p: string,
): { path: string; a: JsonValue | undefined; b: JsonValue | undefined } | undefined {
  if (jsonEqual(a, b)) return undefined;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${p}[${i}]`);
      if (d) return d;
    }
  } else if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[k], b[k], `${p}.${k}`);
      if (d) return d;
    }
  }
  return { path: p, a, b };
}

/**
 * A few lines saying how `b` differs from the reference `a`: for text, the first differing
 * lines with their line number; for structured data, the first differing JSON path.
 */
export function shortDiff(a: JsonValue | undefined, b: JsonValue | undefined, maxLines = 3): string {
  if (typeof a === 'string' && typeof b === 'string') {
    const al = a.split('\n');
    const bl = b.split('\n');
    const out: string[] = [];
    for (let i = 0; i < Math.max(al.length, bl.length) && out.length < maxLines * 2; i++) {
      if (al[i] === bl[i]) continue;
      const [x, y] = around(al[i] ?? '', bl[i] ?? '');
      out.push(`  line ${i + 1} - ${al[i] === undefined ? '(none)' : x}`);
      out.push(`  line ${i + 1} + ${bl[i] === undefined ? '(none)' : y}`);
    }
    return out.join('\n');
  }
  const d = firstDifference(a, b, 'data');
  if (!d) return '';
  const [x, y] = around(show(d.a), show(d.b));
  return `  at ${d.path}\n  - ${x}\n  + ${y}`;
}
