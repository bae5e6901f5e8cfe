import type { QueryResultRow } from 'pg';

/**
 * The part of a `pg` Client the diagnostics use. A real Client (or Pool) satisfies it; keeping it
 * this narrow lets callers pass the session they already have.
 */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

/** Numbers come back from pg as strings for bigint/numeric; this reads them as JS numbers (NaN → 0). */
export function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
}

/** Like num, but keeps SQL NULL as null. */
export function numOrNull(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}
