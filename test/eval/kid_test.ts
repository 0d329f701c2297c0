import assert from "node:assert/strict";
import { type FeatureMatrix, featureMatrix, kid } from "../../lib/eval/kid.ts";
import { Rng } from "../../lib/util/random.ts";

function gaussian(seed: number, n: number, d: number, shift = 0): FeatureMatrix {
  const rng = new Rng(seed);
  return featureMatrix(Float32Array.from({ length: n * d }, () => rng.normal(shift, 1)), d);
}

function close(actual: number, expected: number, tol = 1e-9, what = ""): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} vs ${expected}`);
}

Deno.test("kid: the unbiased estimator by hand for n = m = 3, d = 2", () => {
  // X = (1,0), (0,1), (1,1); Y = (0,0), (2,0), (1,-1); k(a, b) = (a.b / 2 + 1)^3.
  const x = featureMatrix(new Float32Array([1, 0, 0, 1, 1, 1]), 2);
  const y = featureMatrix(new Float32Array([0, 0, 2, 0, 1, -1]), 2);
  // X pairs: x1.x2 = 0 -> 1; x1.x3 = 1 -> 1.5^3 = 3.375; x2.x3 = 1 -> 3.375.
  const sumXX = 2 * (1 + 3.375 + 3.375); // over i != j
  // Y pairs: y1.y2 = 0 -> 1; y1.y3 = 0 -> 1; y2.y3 = 2 -> 2^3 = 8.
  const sumYY = 2 * (1 + 1 + 8);
  // X-Y, all 9 pairs: dot products 0 2 1 / 0 0 -1 / 0 2 0.
  const sumXY = 1 + 8 + 3.375 + 1 + 1 + 0.125 + 1 + 8 + 1;
  // MMD^2_u = sumXX / (n(n-1)) + sumYY / (m(m-1)) - 2 sumXY / (n m)
  const expected = sumXX / 6 + sumYY / 6 - (2 * sumXY) / 9;
  close(expected, 17 / 36, 1e-12, "hand arithmetic");
  const r = kid(x, y, { subsets: 1, subsetSize: 3 });
  close(r.mean, expected, 1e-6, "kid");
  assert.equal(r.subsetSize, 3);
  assert.deepEqual([r.n, r.m, r.d], [3, 3, 2]);
  // Every subset of size n is the whole set in some order: one estimate, no spread.
  const many = kid(x, y, { subsets: 7, subsetSize: 10, seed: 3 });
  assert.equal(many.subsetSize, 3, "capped at min(n, m)");
  assert.equal(many.subsets, 1, "one subset when it takes both sets whole");
  assert.equal(many.values.length, 1);
  close(many.values[0], expected, 1e-6, "subset");
  assert.equal(many.std, 0);
});

Deno.test("kid: subsets are drawn when only the smaller set is taken whole", () => {
  const big = gaussian(5, 40, 2), small = gaussian(6, 10, 2);
  const r = kid(big, small, { subsets: 6, subsetSize: 100, seed: 1 });
  assert.equal(r.subsetSize, 10);
  assert.equal(r.subsets, 6);
  assert.equal(r.values.length, 6);
  assert.ok(r.std > 0, "different rows of the larger set give different estimates");
});

Deno.test("kid: about 0 for two samples of one Gaussian, clearly positive for a shifted one", () => {
  const a = gaussian(1, 400, 32);
  const b = gaussian(2, 400, 32);
  const shifted = gaussian(3, 400, 32, 0.3);
  const same = kid(a, b, { subsets: 20, subsetSize: 200, seed: 1 });
  const diff = kid(a, shifted, { subsets: 20, subsetSize: 200, seed: 1 });
  assert.ok(Math.abs(same.mean) < 0.01, `same distribution: ${same.mean}`);
  assert.ok(Math.abs(same.mean) < 3 * same.std + 1e-3, `same: ${same.mean} ± ${same.std}`);
  assert.ok(diff.mean > 0.1, `shifted: ${diff.mean}`);
  assert.ok(diff.mean > 10 * Math.abs(same.mean) && diff.mean > 5 * diff.std);
  assert.equal(same.values.length, 20);
});

Deno.test("kid: symmetric in its arguments, seeded, and the same with or without precomputation", () => {
  const a = gaussian(4, 60, 8);
  const b = gaussian(5, 60, 8, 0.2);
  // Full subsets: the value does not depend on which rows were drawn.
  close(
    kid(a, b, { subsetSize: 60, subsets: 2 }).mean,
    kid(b, a, { subsetSize: 60, subsets: 2 }).mean,
    1e-6,
  );
  const opts = { subsets: 10, subsetSize: 25, seed: "s" };
  const r1 = kid(a, b, opts);
  assert.deepEqual(kid(a, b, opts).values, r1.values, "same seed, same subsets");
  assert.notDeepEqual(kid(a, b, { ...opts, seed: "t" }).values, r1.values);
  const direct = kid(a, b, { ...opts, precompute: false });
  r1.values.forEach((v, i) => close(direct.values[i], v, 1e-6, `subset ${i}`));
  // Unequal sizes work (subset size capped by the smaller set).
  const c = gaussian(6, 30, 8);
  assert.equal(kid(a, c, { subsetSize: 100, subsets: 3 }).subsetSize, 30);
});

Deno.test("kid: rejects mismatched, tiny or non-finite inputs", () => {
  const a = gaussian(7, 10, 4);
  assert.throws(() => kid(a, gaussian(8, 10, 5)), /feature dimensions differ/);
  assert.throws(() => kid(a, featureMatrix(new Float32Array(4), 4)), /n >= 2/);
  const bad = gaussian(9, 10, 4);
  bad.data[13] = NaN;
  assert.throws(() => kid(a, bad), /non-finite feature at row 3/);
  assert.throws(() => featureMatrix(new Float32Array(10), 4), /whole number of rows/);
  assert.throws(() => kid(a, a, { subsets: 0 }), /subsets/);
  assert.throws(() => kid(a, a, { subsetSize: 1 }), /subsetSize/);
});
