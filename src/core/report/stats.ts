/**
 * The statistics comparisons rest on: mean, standard deviation and 95% confidence interval of a
 * sample (Student's t), and Welch's t-test for two samples of unequal variance. Exact to about
 * 1e-10: the t distribution is computed from the regularized incomplete beta function, not a table.
 */

export interface SampleSummary {
  n: number;
  mean: number;
  /** sample standard deviation (n - 1); 0 for a single value */
  sd: number;
  /** half-width of the 95% confidence interval of the mean; null below two values */
  ci95: number | null;
}

/** `n` to `digits` decimals for a table or JSON; null when there is no finite number to show. */
export function rounded(n: number | null | undefined, digits: number): number | null {
  if (n === null || n === undefined || !Number.isFinite(n)) return null;
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, x) => a + x, 0) / xs.length;
}

export function sampleVariance(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
}

export function summarize(xs: readonly number[]): SampleSummary {
  const n = xs.length;
  const sd = Math.sqrt(sampleVariance(xs));
  return {
    n,
    mean: n ? mean(xs) : NaN,
    sd,
    ci95: n >= 2 ? tQuantile975(n - 1) * (sd / Math.sqrt(n)) : null,
  };
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms). */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** The continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-14) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(|T| ≥ |t|) for Student's t with `df` degrees of freedom (df may be fractional, as in Welch's test). */
export function tTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** The t value with P(|T| ≥ t) = p (bisection on the exact distribution). */
export function tCritical(p: number, df: number): number {
  let lo = 0;
  let hi = 1;
  while (tTwoSidedP(hi, df) > p) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (tTwoSidedP(mid, df) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The 97.5% quantile of t: the factor of a two-sided 95% confidence interval. */
export function tQuantile975(df: number): number {
  return tCritical(0.05, df);
}

export interface WelchResult {
  /** mean(b) - mean(a) */
  diff: number;
  /** half-width of the 95% confidence interval of diff */
  ci95: number;
  t: number;
  df: number;
  /** two-sided */
  p: number;
}

/**
 * Welch's t-test of b against a. Needs two values on each side; identical constant samples give
 * p = 1 (no evidence of a difference), different constant samples p = 0.
 */
export function welch(a: readonly number[], b: readonly number[]): WelchResult | undefined {
  if (a.length < 2 || b.length < 2) return undefined;
  const va = sampleVariance(a) / a.length;
  const vb = sampleVariance(b) / b.length;
  const diff = mean(b) - mean(a);
  const se = Math.sqrt(va + vb);
  if (se === 0)
    return { diff, ci95: 0, t: diff === 0 ? 0 : Infinity, df: a.length + b.length - 2, p: diff === 0 ? 1 : 0 };
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const t = diff / se;
  return { diff, ci95: tQuantile975(df) * se, t, df, p: tTwoSidedP(t, df) };
}

/**
 * Means of consecutive batches of a time series. Per-second throughput is autocorrelated, so its
 * points are not independent samples; means over batches of several seconds nearly are (the
 * batch-means method), and a t-test on them keeps its stated error rate.
 */
export function batchMeans(series: readonly number[], batches: number): number[] {
  const size = Math.floor(series.length / batches);
  if (size < 1) return [];
  const out: number[] = [];
  for (let i = 0; i < batches; i++) out.push(mean(series.slice(i * size, (i + 1) * size)));
  return out;
}
