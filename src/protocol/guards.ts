/**
 * Small checks for untrusted messages. Both sides of a webview use them: the host never trusts
 * what a page posts, and a page never trusts what arrives on `message` (any frame can post to it).
 */
export type Fields = Record<string, unknown>;

export const isRecord = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isString = (v: unknown): v is string => typeof v === 'string';
/** A finite number: NaN and Infinity never come from the host's data and would draw nonsense. */
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isNumberOrNull = (v: unknown): v is number | null => v === null || isNumber(v);
export const isStringOrNull = (v: unknown): v is string | null => v === null || isString(v);
export const isOptional =
  <T>(check: (v: unknown) => v is T) =>
  (v: unknown): v is T | undefined =>
    v === undefined || check(v);

export function isArrayOf<T>(v: unknown, check: (e: unknown) => e is T): v is T[] {
  return Array.isArray(v) && v.every((e) => check(e));
}

export function isRecordOf<T>(v: unknown, check: (e: unknown) => e is T): v is Record<string, T> {
  return isRecord(v) && Object.values(v).every((e) => check(e));
}

/** A message with exactly a `type` out of `types` and nothing else, like `{ type: 'ready' }`. */
export function isBareMessage<T extends string>(m: unknown, types: readonly T[]): m is { type: T } {
  return isRecord(m) && (types as readonly unknown[]).includes(m.type) && Object.keys(m).length === 1;
}
