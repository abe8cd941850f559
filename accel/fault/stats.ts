// Statistics of fault-injection campaigns (DESIGN.md §7): how many injections a campaign needs, and
// how far a measured rate can be trusted.
//
// Sample size: Leveugle, Calvez, Maistri, Vanhauwaert, "Statistical fault injection: quantified error
// and confidence", DATE 2009, eq. (4): from a population of N possible faults, drawing
//     n = N / (1 + e²·(N − 1) / (t²·p·(1 − p)))
// faults gives a proportion within ±e of the population's with confidence c, where t is the two-sided
// normal quantile of c (1.96 for 95 %) and p the a-priori proportion (0.5, the worst case, when unknown).
// For scale (p = 0.5, N = 10^6): e = 5 %, c = 95 % needs 384 injections; e = 1 %, c = 99 % needs 16,317.
//
// Confidence intervals: Wilson's score interval (Wilson, JASA 1927). Chosen over Clopper–Pearson because
// (a) its coverage is close to the nominal 95 % for every n and p, while Clopper–Pearson is conservative
// (often 97–99 %, wider than needed; Brown, Cai & DasGupta, Statistical Science 2001, recommend Wilson);
// (b) it stays inside [0, 1] and has a non-zero width at 0 or n successes, the common case for rare
// critical faults; (c) it is closed-form (no inverse beta function). Reference values: Newcombe,
// "Two-sided confidence intervals for the single proportion", Statistics in Medicine 1998 (method 3).

/**
 * The standard normal quantile Φ⁻¹(q) for 0 < q < 1: Wichura's algorithm AS 241 (PPND16, Applied
 * Statistics 1988), relative accuracy about 1e-16.
 */
export function normalQuantile(q: number): number {
  if (!(q > 0 && q < 1)) throw new RangeError(`normalQuantile: q must be in (0, 1), not ${q}`);
  const r0 = q - 0.5;
  if (Math.abs(r0) <= 0.425) {
    const r = 0.180625 - r0 * r0;
    return (
      (r0 *
        (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r + 13731.693765509461125) * r +
          1971.5909503065514427) *
          r +
          133.14166789178437745) *
          r +
          3.387132872796366608)) /
      (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r + 5394.1960214247511077) * r +
        687.1870074920579083) *
        r +
        42.313330701600911252) *
        r +
        1)
    );
  }
  let r = Math.sqrt(-Math.log(r0 < 0 ? q : 1 - q));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x =
      (((((((0.00077454501427834140764 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r + 3.64784832476320460504) * r +
        5.7694972214606914055) *
        r +
        4.6303378461565452959) *
        r +
        1.42343711074968357734) /
      (((((((1.05075007164441684324e-9 * r + 0.000547593808499534494600) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r + 0.68976733498510000455) * r +
        1.6763848301838038494) *
        r +
        2.05319162663775882187) *
        r +
        1);
  } else {
    r -= 5;
    x =
      (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r + 0.29656057182850489123) * r +
        1.7848265399172913358) *
        r +
        5.4637849111641143699) *
        r +
        6.6579046435011037772) /
      (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 0.0007868691311456132591) * r + 0.0148753612908506148525) * r +
        0.13692988092273580531) *
        r +
        0.59983220655588793769) *
        r +
        1);
  }
  return r0 < 0 ? -x : x;
}

/** The two-sided critical value t of a confidence level c (0.95 → 1.95996). */
export function confidenceCritical(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), not ${confidence}`);
  return normalQuantile(1 - (1 - confidence) / 2);
}

export interface SampleSizeRequest {
  /** Population N: every fault that could be injected (bits × cycles × images for SEUs). */
  readonly population: number;
  /** Error margin e (absolute, 0.01 = ±1 percentage point). */
  readonly margin: number;
  /** Confidence level c (default 0.95). */
  readonly confidence?: number;
  /** A-priori proportion p (default 0.5: the worst case, the largest n). */
  readonly p?: number;
}

/** Leveugle et al. (DATE 2009) eq. (4), rounded up to a whole injection; never more than N. */
export function leveugleSampleSize(request: SampleSizeRequest): number {
  const { population: N, margin: e } = request;
  const t = confidenceCritical(request.confidence ?? 0.95);
  const p = request.p ?? 0.5;
  if (!(N >= 1)) throw new RangeError(`population must be >= 1, not ${N}`);
  if (!(e > 0 && e < 1)) throw new RangeError(`margin must be in (0, 1), not ${e}`);
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), not ${p}`);
  const n = N / (1 + (e * e * (N - 1)) / (t * t * p * (1 - p)));
  // Floating point can land a hair above an exact integer (384.0000000001); round that away first.
  return Math.min(N, Math.ceil(n - 1e-9));
}

/**
 * The margin e that n injections out of a population N give (eq. (4) solved for e, with the finite
 * population correction): e = t·sqrt(p(1−p)/n · (N−n)/(N−1)).
 */
export function leveugleMargin(request: { population: number; samples: number; confidence?: number; p?: number }): number {
  const { population: N, samples: n } = request;
  const t = confidenceCritical(request.confidence ?? 0.95);
  const p = request.p ?? 0.5;
  if (!(n >= 1)) throw new RangeError(`samples must be >= 1, not ${n}`);
  const fpc = N > 1 ? Math.max(0, (N - n) / (N - 1)) : 0;
  return t * Math.sqrt(((p * (1 - p)) / n) * fpc);
}

/** Wilson score interval of `successes` out of `trials` at `confidence` (default 0.95); [0, 1] for 0 trials. */
export function wilsonInterval(successes: number, trials: number, confidence = 0.95): [number, number] {
  if (trials === 0) return [0, 1];
  if (!(successes >= 0 && successes <= trials)) throw new RangeError(`successes must be in 0..${trials}, not ${successes}`);
  const z = confidenceCritical(confidence);
  const z2 = z * z;
  const phat = successes / trials;
  const denom = 1 + z2 / trials;
  const center = (phat + z2 / (2 * trials)) / denom;
  const half = (z / denom) * Math.sqrt((phat * (1 - phat)) / trials + z2 / (4 * trials * trials));
  // At 0 and n the bound is exactly 0 (1); do not let rounding leave 1e-17 there.
  return [successes === 0 ? 0 : Math.max(0, center - half), successes === trials ? 1 : Math.min(1, center + half)];
}

/** Arithmetic mean; NaN for an empty list. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample standard deviation (n − 1 in the denominator); 0 for one value, NaN for none. */
export function stddev(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  if (values.length === 1) return 0;
  const m = mean(values);
  let ss = 0;
  for (const v of values) ss += (v - m) * (v - m);
  return Math.sqrt(ss / (values.length - 1));
}

/** A rate with its 95 % Wilson interval. */
export interface Rate {
  readonly count: number;
  readonly rate: number;
  readonly ci95: [number, number];
}

export function rate(count: number, trials: number): Rate {
  return { count, rate: trials === 0 ? 0 : count / trials, ci95: wilsonInterval(count, trials) };
}
