/** What every benchmark here measures with: a wall-clock time and the median of a run's figures. */

/** Milliseconds `fn` took, wall clock. */
export async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** The upper median (the middle figure of an odd count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
