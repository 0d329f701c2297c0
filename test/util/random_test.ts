import assert from "node:assert/strict";
import { hashString, Rng } from "../../lib/util/random.ts";

Deno.test("Rng: same seed gives the same stream, different seeds differ", () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xa = Array.from({ length: 8 }, () => a.nextUint32());
  const xb = Array.from({ length: 8 }, () => b.nextUint32());
  const xc = Array.from({ length: 8 }, () => c.nextUint32());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
  assert.deepEqual(
    Array.from({ length: 4 }, () => new Rng("abc").uniform()),
    Array.from({ length: 4 }, () => new Rng("abc").uniform()),
  );
  assert.notEqual(new Rng("abc").uniform(), new Rng("abd").uniform());
});

Deno.test("Rng: uniform, int and bool stay in range; normal has the right moments", () => {
  const rng = new Rng(1);
  let sum = 0, sum2 = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform(-2, 3);
    assert.ok(u >= -2 && u < 3);
    const k = rng.int(5, 9);
    assert.ok(Number.isInteger(k) && k >= 5 && k <= 8);
    const z = rng.normal(1, 2);
    sum += z;
    sum2 += z * z;
  }
  const mean = sum / n, std = Math.sqrt(sum2 / n - mean * mean);
  assert.ok(Math.abs(mean - 1) < 0.06, `mean ${mean}`);
  assert.ok(Math.abs(std - 2) < 0.06, `std ${std}`);
  assert.throws(() => rng.int(3, 3), RangeError);
  assert.throws(() => new Rng(NaN), RangeError);
});

Deno.test("Rng.fork depends on the seed and labels, not on the position", () => {
  const a = new Rng(7);
  const f1 = a.fork("image", 3).uniform();
  a.uniform();
  a.normal();
  const f2 = a.fork("image", 3).uniform();
  assert.equal(f1, f2);
  assert.notEqual(a.fork("image", 4).uniform(), f1);
  assert.notEqual(a.fork("image", "3").uniform(), f1); // label types are part of the name
  assert.notEqual(new Rng(8).fork("image", 3).uniform(), f1);
  assert.equal(a.fork("x").fork("y").uniform(), a.fork("x", "y").uniform());
});

Deno.test("Rng: shuffle and permutation are permutations", () => {
  const rng = new Rng(3);
  const p = rng.permutation(100);
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  assert.notDeepEqual([...p], Array.from({ length: 100 }, (_, i) => i));
  const arr = ["a", "b", "c", "d"];
  rng.shuffle(arr);
  assert.deepEqual([...arr].sort(), ["a", "b", "c", "d"]);
});

Deno.test("hashString is stable", () => {
  assert.equal(hashString("eyegan"), hashString("eyegan"));
  assert.notEqual(hashString("a"), hashString("b"));
  assert.ok(hashString("") >= 0 && hashString("") <= 0xffffffff);
});
