/**
 * Kernel Inception Distance (KID; Bińkowski, Sutherland, Arbel, Gretton, "Demystifying MMD
 * GANs", ICLR 2018, https://arxiv.org/abs/1801.01401): the squared maximum mean discrepancy
 * between two sets of image features under the cubic polynomial kernel, estimated without bias
 * and averaged over random subsets.
 *
 * Here the features come from a fixed in-project network (the gaze estimator, see
 * `features.ts`), not from Inception-v3 (whose weights are not available to the toolkit), so
 * **the numbers are domain-specific**: they rank refiners on the same data with the same feature
 * network, and are not comparable to published FID/KID values or across feature networks.
 *
 * Kernel, for d-dimensional features: `k(x, y) = (x·y / d + 1)^3`.
 *
 * Unbiased estimator of MMD² for samples X = {x_1..x_n}, Y = {y_1..y_m}:
 *
 * ```
 * MMD²_u = 1/(n(n-1)) Σ_{i≠j} k(x_i, x_j) + 1/(m(m-1)) Σ_{i≠j} k(y_i, y_j)
 *          - 2/(n m) Σ_{i,j} k(x_i, y_j)
 * ```
 *
 * KID is its mean over `subsets` random subsets of `subsetSize` rows of each set, drawn without
 * replacement (as `polynomial_mmd_averages` of the authors' code, torch-fidelity and clean-fid),
 * reported with the standard deviation over subsets. It can be slightly negative when the
 * distributions match. The subset size is capped at the smaller set's size; when it takes both
 * sets whole, every subset is the same, so one is computed (`subsets` 1, `std` 0). The two sets must be
 * independent samples: `kid(x, x)` of one set with itself is not 0 but negative (the diagonal
 * terms are left out of the within-set sums only).
 *
 * @module
 */
import { Rng } from "../util/random.ts";

/** A row-major feature matrix: `n` rows of `d` features. */
export interface FeatureMatrix {
  /** `n * d` values, row `i` at `[i*d, (i+1)*d)`. */
  data: Float32Array;
  /** Number of rows (images). */
  n: number;
  /** Number of features per row. */
  d: number;
}

/** Options of {@link kid}. */
export interface KidOptions {
  /** Number of random subsets averaged (default 100). */
  subsets?: number;
  /** Rows per subset, from each set (default 1000; capped at `min(n, m)`). */
  subsetSize?: number;
  /** Seed of the subset draws (default 0). */
  seed?: number | string;
  /**
   * Compute the Gram matrices once over every row the subsets use (`true`), or per subset
   * (`false`). Default: once, unless that needs more than ~512 MB. Same result either way.
   */
  precompute?: boolean;
}

/** Result of {@link kid}. */
export interface KidResult {
  /** Mean of the subset estimates of MMD². */
  mean: number;
  /** Standard deviation of the subset estimates (population, as the reference code). */
  std: number;
  /** The per-subset estimates. */
  values: number[];
  /** Subsets and rows per subset actually used (one subset when it takes both sets whole). */
  subsets: number;
  subsetSize: number;
  /** Rows of each set and the feature dimension. */
  n: number;
  m: number;
  d: number;
}

/** Above this many kernel values the full Gram matrices are not precomputed (about 512 MB). */
const MAX_PRECOMPUTED_VALUES = 128 * 1024 * 1024;

/** Makes a {@link FeatureMatrix}, checking that `data` holds `n` rows of `d` values. */
export function featureMatrix(data: Float32Array, d: number): FeatureMatrix {
  if (!Number.isInteger(d) || d < 1) {
    throw new RangeError(`feature dimension must be >= 1, got ${d}`);
  }
  const n = data.length / d;
  if (!Number.isInteger(n)) {
    throw new RangeError(`${data.length} values are not a whole number of rows of ${d} features`);
  }
  return { data, n, d };
}

function checkMatrix(name: string, f: FeatureMatrix): void {
  if (!Number.isInteger(f.n) || f.n < 2 || f.data.length !== f.n * f.d) {
    throw new RangeError(
      `kid: ${name} must hold n >= 2 rows of d values (n=${f.n}, d=${f.d}, ${f.data.length} values)`,
    );
  }
  for (let i = 0; i < f.data.length; i++) {
    if (!Number.isFinite(f.data[i])) {
      throw new RangeError(`kid: ${name} has a non-finite feature at row ${Math.floor(i / f.d)}`);
    }
  }
}

/**
 * Cubic-kernel Gram matrix of the rows `ai` of `a` against the rows `bi` of `b`:
 * `K[p, q] = (a_{ai[p]} · b_{bi[q]} / d + 1)^3`, row-major `[ai.length, bi.length]`.
 * With `symmetric`, `a`/`ai` and `b`/`bi` are the same and only `q >= p` is computed.
 */
function cubicGram(
  a: FeatureMatrix,
  ai: Uint32Array,
  b: FeatureMatrix,
  bi: Uint32Array,
  symmetric: boolean,
): Float32Array {
  const d = a.d;
  const p = ai.length, q = bi.length;
  const out = new Float32Array(p * q);
  const A = a.data, B = b.data;
  const invD = 1 / d;
  // Copy the selected rows into contiguous buffers (cache-friendly inner loops).
  const rowsA = new Float32Array(p * d);
  for (let r = 0; r < p; r++) rowsA.set(A.subarray(ai[r] * d, ai[r] * d + d), r * d);
  const rowsB = symmetric ? rowsA : new Float32Array(q * d);
  if (!symmetric) {
    for (let r = 0; r < q; r++) rowsB.set(B.subarray(bi[r] * d, bi[r] * d + d), r * d);
  }
  const d4 = d - (d % 4);
  // Two rows of A against one row of B per pass: each loaded B value is used twice.
  for (let r = 0; r < p; r += 2) {
    const two = r + 1 < p;
    const o0 = r * d, o1 = two ? o0 + d : o0;
    for (let c = symmetric ? r : 0; c < q; c++) {
      const ob = c * d;
      let s0 = 0, s1 = 0, t0 = 0, t1 = 0;
      let k = 0;
      for (; k < d4; k += 4) {
        const b0 = rowsB[ob + k],
          b1 = rowsB[ob + k + 1],
          b2 = rowsB[ob + k + 2],
          b3 = rowsB[ob + k + 3];
        s0 += rowsA[o0 + k] * b0 + rowsA[o0 + k + 1] * b1;
        t0 += rowsA[o0 + k + 2] * b2 + rowsA[o0 + k + 3] * b3;
        s1 += rowsA[o1 + k] * b0 + rowsA[o1 + k + 1] * b1;
        t1 += rowsA[o1 + k + 2] * b2 + rowsA[o1 + k + 3] * b3;
      }
      for (; k < d; k++) {
        s0 += rowsA[o0 + k] * rowsB[ob + k];
        s1 += rowsA[o1 + k] * rowsB[ob + k];
      }
      // k(x, y) = (x·y / d + 1)^3
      const g0 = (s0 + t0) * invD + 1;
      out[r * q + c] = g0 * g0 * g0;
      if (two && (!symmetric || c >= r + 1)) {
        const g1 = (s1 + t1) * invD + 1;
        out[(r + 1) * q + c] = g1 * g1 * g1;
      }
    }
  }
  if (symmetric) {
    for (let r = 0; r < p; r++) for (let c = 0; c < r; c++) out[r * q + c] = out[c * q + r];
  }
  return out;
}

/**
 * Unbiased MMD² from the kernel values of one subset: `kxx` over rows `xs` (indices into a
 * square matrix of side `nx`), likewise `kyy`, and `kxy` (side `nx` by `ny`).
 *
 * MMD²_u = Σ_{i≠j} kxx / (s(s-1)) + Σ_{i≠j} kyy / (s(s-1)) - 2 Σ_{i,j} kxy / s²
 */
function subsetMmd(
  kxx: Float32Array,
  kyy: Float32Array,
  kxy: Float32Array,
  sides: { nx: number; ny: number },
  xs: Uint32Array,
  ys: Uint32Array,
): number {
  const s = xs.length;
  const { nx, ny } = sides;
  let sxx = 0, syy = 0, sxy = 0;
  for (let i = 0; i < s; i++) {
    const rx = xs[i] * nx, ry = ys[i] * ny, rxy = xs[i] * ny;
    let ax = 0, ay = 0, axy = 0;
    for (let j = 0; j < s; j++) {
      if (j !== i) {
        ax += kxx[rx + xs[j]];
        ay += kyy[ry + ys[j]];
      }
      axy += kxy[rxy + ys[j]];
    }
    sxx += ax;
    syy += ay;
    sxy += axy;
  }
  return (sxx + syy) / (s * (s - 1)) - (2 * sxy) / (s * s);
}

/** `size` distinct indices of `0..n-1` (partial Fisher-Yates), in draw order. */
function sample(rng: Rng, n: number, size: number, scratch: Uint32Array): Uint32Array {
  for (let i = 0; i < n; i++) scratch[i] = i;
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rng.uniform() * (n - i));
    const t = scratch[i];
    scratch[i] = scratch[j];
    scratch[j] = t;
  }
  return scratch.slice(0, size);
}

/**
 * Kernel Inception Distance between two feature sets (see the module doc): the unbiased MMD²
 * with the cubic kernel `(x·y/d + 1)^3`, averaged over seeded random subsets.
 *
 * Cost: the cubic-kernel Gram matrices over the rows the subsets use are computed once
 * (`(n² + m² + nm) d / 2`-ish multiply-adds: 1-3 s depending on load for n = m = 2000,
 * d = 256 in plain JS),
 * then each subset is a sum over `3 s²` stored values. When those matrices would exceed ~512 MB
 * each subset computes its own.
 *
 * @param x features of one set (e.g. real images), `n x d`.
 * @param y features of the other set (e.g. refined images), `m x d`.
 * @param options subsets, subset size, seed.
 * @returns mean and standard deviation over subsets, and the per-subset values.
 * @throws {RangeError} for mismatched dimensions, fewer than 2 rows, or non-finite features.
 * @example
 * ```ts
 * import { featureMatrix, kid } from "./kid.ts";
 * const a = featureMatrix(Float32Array.from({ length: 200 }, (_, i) => Math.sin(i)), 2);
 * const b = featureMatrix(Float32Array.from({ length: 200 }, (_, i) => Math.cos(i) + 1), 2);
 * const { mean, std } = kid(a, b, { subsets: 10, subsetSize: 50, seed: 1 });
 * console.log(mean > 0, std >= 0); // true true
 * ```
 */
export function kid(x: FeatureMatrix, y: FeatureMatrix, options: KidOptions = {}): KidResult {
  checkMatrix("x", x);
  checkMatrix("y", y);
  if (x.d !== y.d) throw new RangeError(`kid: feature dimensions differ (${x.d} vs ${y.d})`);
  const subsets = options.subsets ?? 100;
  if (!Number.isInteger(subsets) || subsets < 1) {
    throw new RangeError(`kid: subsets must be a positive integer, got ${subsets}`);
  }
  const requested = options.subsetSize ?? 1000;
  if (!Number.isInteger(requested) || requested < 2) {
    throw new RangeError(`kid: subsetSize must be an integer >= 2, got ${requested}`);
  }
  const size = Math.min(requested, x.n, y.n);
  // Subsets of both whole sets are all the same set: one estimate, not `subsets` copies of it
  // (whose standard deviation would be rounding noise presented as a spread).
  const count = size === x.n && size === y.n ? 1 : subsets;
  const rng = new Rng(options.seed ?? 0).fork("kid");
  // Draw every subset first: the Gram matrices only need the rows some subset uses.
  const scratchX = new Uint32Array(x.n), scratchY = new Uint32Array(y.n);
  const draws: { xs: Uint32Array; ys: Uint32Array }[] = [];
  for (let s = 0; s < count; s++) {
    draws.push({ xs: sample(rng, x.n, size, scratchX), ys: sample(rng, y.n, size, scratchY) });
  }
  const used = (n: number, pick: (d: { xs: Uint32Array; ys: Uint32Array }) => Uint32Array) => {
    const mark = new Uint8Array(n);
    for (const dr of draws) for (const i of pick(dr)) mark[i] = 1;
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (mark[i]) rows.push(i);
    return Uint32Array.from(rows);
  };
  const ux = used(x.n, (dr) => dr.xs), uy = used(y.n, (dr) => dr.ys);
  const values: number[] = [];
  const precomputed = ux.length * ux.length + uy.length * uy.length + ux.length * uy.length;
  if (options.precompute ?? precomputed <= MAX_PRECOMPUTED_VALUES) {
    // Compact index of every used row.
    const posX = new Uint32Array(x.n), posY = new Uint32Array(y.n);
    ux.forEach((r, i) => (posX[r] = i));
    uy.forEach((r, i) => (posY[r] = i));
    const kxx = cubicGram(x, ux, x, ux, true);
    const kyy = cubicGram(y, uy, y, uy, true);
    const kxy = cubicGram(x, ux, y, uy, false);
    const sides = { nx: ux.length, ny: uy.length };
    for (const { xs, ys } of draws) {
      // The estimator sums over all pairs, so the order within a subset does not matter:
      // sorted indices read the stored matrices in order.
      const cx = xs.map((i) => posX[i]).sort(), cy = ys.map((i) => posY[i]).sort();
      values.push(subsetMmd(kxx, kyy, kxy, sides, cx, cy));
    }
  } else {
    const iota = Uint32Array.from({ length: size }, (_, i) => i);
    for (const { xs, ys } of draws) {
      const kxx = cubicGram(x, xs, x, xs, true);
      const kyy = cubicGram(y, ys, y, ys, true);
      const kxy = cubicGram(x, xs, y, ys, false);
      values.push(subsetMmd(kxx, kyy, kxy, { nx: size, ny: size }, iota, iota));
    }
  }
  let mean = 0;
  for (const v of values) mean += v / values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return {
    mean,
    std: Math.sqrt(ss / values.length),
    values,
    subsets: count,
    subsetSize: size,
    n: x.n,
    m: y.n,
    d: x.d,
  };
}
