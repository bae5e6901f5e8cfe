/**
 * The statistics behind `pgops compare`. Reference values were computed once with SciPy 1.17
 * (scipy.stats.t.ppf, t.sf and ttest_ind(equal_var=False)) and are written here as numbers.
 */
import * as assert from 'node:assert/strict';
import { batchMeans, summarize, tQuantile975, tTwoSidedP, welch } from '../../src/core/report/stats';
import { bucketUpperMs, latencyHistogram, quantileRankInterval } from '../../src/core/report/histogram';

const close = (actual: number, expected: number, tol = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${actual} is not ${expected}`);

describe('report statistics', () => {
  it("gives Student's t quantiles to 1e-9, also for fractional degrees of freedom", () => {
    const scipy: Array<[number, number]> = [
      [1, 12.706204736174694],
      [2, 4.302652729749462],
      [5, 2.5705818356363146],
      [10, 2.228138851986274],
      [30, 2.0422724563012378],
      [7.3, 2.345066736547703],
    ];
    for (const [df, q] of scipy) close(tQuantile975(df), q);
  });

  it('gives two-sided p-values of t', () => {
    close(tTwoSidedP(2.0, 10), 0.07338803477074037);
    close(tTwoSidedP(0.5, 3.7), 0.6453356333199318);
    close(tTwoSidedP(-2.0, 10), 0.07338803477074037);
    assert.equal(tTwoSidedP(Infinity, 4), 0);
  });

  it("runs Welch's t-test as SciPy does: t, degrees of freedom, p and the interval of the difference", () => {
    const w = welch([10.1, 9.8, 10.3, 10.0], [11.2, 11.5, 10.9])!;
    close(w.t, 5.69102408201203);
    close(w.df, 3.4088973024136315);
    close(w.p, 0.007535536466250453);
    close(w.diff - w.ci95, 0.5484256200736648);
    close(w.diff + w.ci95, 1.751574379926336);
    const same = welch([1000, 1010, 990], [1001, 1012, 985])!;
    close(same.p, 0.948964779100762);
    close(same.df, 3.676566222597263);
  });

  it('needs two values a side; constant samples are equal (p = 1) or different (p = 0)', () => {
    assert.equal(welch([1], [2, 3]), undefined);
    assert.equal(welch([5, 5], [5, 5])!.p, 1);
    assert.equal(welch([5, 5], [6, 6])!.p, 0);
  });

  it('summarizes a sample with its 95% interval, and none for one value', () => {
    const s = summarize([10.1, 9.8, 10.3, 10.0]);
    close(s.mean, 10.05);
    close(s.sd, 0.20816659994661324);
    close(s.ci95!, (3.1824463052837078 * 0.20816659994661324) / 2);
    assert.deepEqual(summarize([7]), { n: 1, mean: 7, sd: 0, ci95: null });
  });

  it('cuts a series into equal batches and drops the remainder', () => {
    assert.deepEqual(batchMeans([1, 2, 3, 4, 5, 6, 7], 3), [1.5, 3.5, 5.5]);
    assert.deepEqual(batchMeans([1, 2], 3), []);
  });
});

describe('latency histograms and the precision of percentiles', () => {
  it('puts every latency into its log-scale bucket, 16 per doubling', () => {
    const h = latencyHistogram([0.001, 1, 1.1, 2, 1000], 0.1)!;
    assert.equal(h.first, 0, '1 µs and below go to bucket 0');
    assert.equal(
      h.counts.reduce((a, b) => a + b, 0),
      5,
    );
    assert.equal(h.counts[Math.floor(Math.log2(1000) * 16)], 1, '1 ms');
    assert.equal(h.counts[Math.floor(Math.log2(1100) * 16)], 1, '1.1 ms, two buckets on');
    assert.equal(h.counts.length - 1, Math.floor(Math.log2(1e6) * 16), '1 s ends the histogram');
    assert.equal(bucketUpperMs(h, 160), 2 ** (161 / 16) / 1000);
    assert.equal(h.samplingRate, 0.1);
    assert.equal(latencyHistogram([], 1), undefined);
  });

  it('gives the 95% interval of a percentile as ranks that cover it at 95% (checked with SciPy binom)', () => {
    // binom.cdf(997, 1000, 0.99) - binom.cdf(982, 1000, 0.99) = 0.983
    assert.deepEqual(quantileRankInterval(1000, 0.99), [983, 998]);
    // n = 200, median: ranks 86-115 cover it with probability 0.96
    assert.deepEqual(quantileRankInterval(200, 0.5), [86, 115]);
    assert.deepEqual(quantileRankInterval(10, 0.99), [9, 10], 'clamped to the samples there are');
  });
});
