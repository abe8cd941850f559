// accel/fault/stats.ts against hand-computed values: the normal quantile, Leveugle et al.'s sample size
// (DATE 2009, eq. 4), Wilson intervals (Newcombe 1998's worked examples), mean and standard deviation.
import { describe, expect, it } from 'vitest';
import { confidenceCritical, leveugleMargin, leveugleSampleSize, mean, normalQuantile, rate, stddev, wilsonInterval } from '../../../accel/fault/stats.js';

describe('normal quantile (AS 241)', () => {
  it('gives the textbook critical values', () => {
    expect(confidenceCritical(0.95)).toBeCloseTo(1.959963984540054, 12);
    expect(confidenceCritical(0.99)).toBeCloseTo(2.5758293035489, 12);
    expect(confidenceCritical(0.9)).toBeCloseTo(1.6448536269514715, 12);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 9); // tail branch (r > 5)
    expect(normalQuantile(0.025)).toBeCloseTo(-1.959963984540054, 12);
  });

  it('rejects probabilities outside (0, 1)', () => {
    expect(() => normalQuantile(0)).toThrow(RangeError);
    expect(() => confidenceCritical(1)).toThrow(RangeError);
  });
});

describe('Leveugle sample size n = N / (1 + e²(N−1)/(t²p(1−p)))', () => {
  // By hand, t = 1.959964, p = 0.5: t²p(1−p)/e² = 3.841459·0.25/0.0025 = 384.1459.
  it('N = 10^6, e = 5 %, 95 %: 10^6 / (1 + 999999/384.1459) = 383.9988 → 384', () => {
    expect(leveugleSampleSize({ population: 1e6, margin: 0.05 })).toBe(384);
  });

  it('N = 1000, e = 5 %, 95 %: 1000 / (1 + 999/384.1459) = 277.73 → 278 (the finite population matters)', () => {
    expect(leveugleSampleSize({ population: 1000, margin: 0.05, confidence: 0.95 })).toBe(278);
  });

  it('a huge N tends to t²p(1−p)/e²: e = 1 %, 99 % → 2.575829²·0.25/0.0001 = 16587.2 → 16588', () => {
    expect(leveugleSampleSize({ population: 2 ** 40, margin: 0.01, confidence: 0.99 })).toBe(16588);
  });

  it('N = 10^6, e = 1 %, 99 %: 16316.6 → 16317; p = 0.1 needs fewer (0.09 instead of 0.25)', () => {
    expect(leveugleSampleSize({ population: 1e6, margin: 0.01, confidence: 0.99 })).toBe(16317);
    // 2.575829²·0.09/0.0001 = 5971.4; 10^6/(1 + 999999/5971.4) = 5935.97 → 5936
    expect(leveugleSampleSize({ population: 1e6, margin: 0.01, confidence: 0.99, p: 0.1 })).toBe(5936);
  });

  it('never asks for more than the population', () => {
    expect(leveugleSampleSize({ population: 10, margin: 0.05 })).toBe(10);
    expect(leveugleSampleSize({ population: 1, margin: 0.05 })).toBe(1);
  });

  it('the margin of n samples inverts the formula', () => {
    expect(leveugleMargin({ population: 1e6, samples: 384 })).toBeCloseTo(0.05, 4);
    expect(leveugleMargin({ population: 1000, samples: 1000 })).toBe(0); // the whole population: exact
    expect(leveugleMargin({ population: 1e9, samples: 100 })).toBeCloseTo(1.959964 * 0.05, 5);
  });
});

describe('Wilson score interval', () => {
  // Newcombe, Statistics in Medicine 17 (1998) 857–872, Table I, method 3 (score, no continuity correction).
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('%i/%i → [%f, %f] (Newcombe 1998)', (x, n, lo, hi) => {
    const [l, h] = wilsonInterval(x, n);
    expect(l).toBeCloseTo(lo, 4);
    expect(h).toBeCloseTo(hi, 4);
  });

  it('0 of 10 by hand: upper = (z²/n)/(1 + z²/n) = 0.38415/1.38415 = 0.27753; all successes mirror it', () => {
    expect(wilsonInterval(0, 10)).toEqual([0, expect.closeTo(0.277533, 5)]);
    const [lo, hi] = wilsonInterval(10, 10);
    expect(lo).toBeCloseTo(1 - 0.277533, 5);
    expect(hi).toBe(1);
  });

  it('no trials: the whole range; a rate bundles count, rate and interval', () => {
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
    expect(rate(15, 148)).toEqual({ count: 15, rate: 15 / 148, ci95: wilsonInterval(15, 148) });
    expect(rate(0, 0).rate).toBe(0);
  });
});

describe('mean and sample standard deviation', () => {
  it('by hand: 2, 4, 4, 4, 5, 5, 7, 9 → mean 5, s = sqrt(32/7) = 2.13809', () => {
    const v = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(v)).toBe(5);
    expect(stddev(v)).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(stddev([3])).toBe(0);
    expect(mean([])).toBeNaN();
  });
});
