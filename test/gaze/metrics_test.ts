import assert from "node:assert/strict";
import { evaluateGaze, summariseErrors, withinPctAt } from "../../lib/gaze/metrics.ts";

Deno.test("summariseErrors: mean, median, std and %-within-d on hand-computed values", () => {
  const s = summariseErrors([10, 1, 3, 2]);
  assert.deepEqual(s.n, 4);
  assert.ok(Math.abs(s.meanDeg - 4) < 1e-12);
  assert.ok(Math.abs(s.medianDeg - 2.5) < 1e-12);
  assert.ok(Math.abs(s.stdDeg - Math.sqrt((36 + 9 + 1 + 4) / 4)) < 1e-12);
  assert.deepEqual(s.thresholdsDeg.length, 21);
  assert.deepEqual(s.withinPct[0], 0);
  assert.deepEqual(s.withinPct[1], 25); // error exactly 1 counts as within 1 degree
  assert.deepEqual(s.withinPct[2], 50);
  assert.deepEqual(s.withinPct[7], 75);
  assert.deepEqual(s.withinPct[20], 100);
});

Deno.test("summariseErrors: odd count median and custom thresholds", () => {
  const s = summariseErrors([5, 1, 3], [0, 3]);
  assert.deepEqual(s.medianDeg, 3);
  assert.deepEqual(s.withinPct, [0, 200 / 3]);
});

Deno.test("withinPctAt: the curve at a threshold, by value not by index", () => {
  const s = summariseErrors([10, 1, 3, 2]);
  assert.equal(withinPctAt(s, 7), 75);
  assert.equal(withinPctAt(s, 0), 0);
  assert.equal(withinPctAt(s, 7.5), undefined);
  const custom = summariseErrors([5, 1, 3], [0, 3]);
  assert.equal(withinPctAt(custom, 3), 200 / 3);
  assert.equal(withinPctAt(custom, 7), undefined); // not custom.withinPct[7]
});

Deno.test("summariseErrors: rejects empty and NaN input", () => {
  assert.throws(() => summariseErrors([]), /no errors/);
  assert.throws(() => summariseErrors([1, NaN]), /error 1 is not finite/);
  // The index is the error's own, not its place after sorting.
  assert.throws(() => summariseErrors([NaN, 3, 1, 2]), /error 0 is not finite \(NaN\)/);
  assert.throws(() => summariseErrors([3, 1, Infinity, 2]), /error 2 is not finite/);
});

Deno.test("evaluateGaze: pure yaw and pure pitch offsets give their angle", () => {
  const deg = Math.PI / 180;
  const truth = [0, 0, 10 * deg, 0];
  const predicted = [0, 5 * deg, 10 * deg + 3 * deg, 0];
  const s = evaluateGaze(predicted, truth);
  assert.ok(Math.abs(s.meanDeg - 4) < 1e-9);
  assert.deepEqual(s.withinPct[3], 50);
  assert.deepEqual(s.withinPct[5], 100);
});
