import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { deriveSeed, ParamStore, Rng } from "../../lib/nn/mod.ts";
import { useCpu } from "./_cpu.ts";

await useCpu();

Deno.test("Rng: same seed same stream, normal samples have mean 0 and std 1", () => {
  const a = new Rng(5).normalArray(20000);
  const b = new Rng(5).normalArray(20000);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, new Rng(6).normalArray(20000));
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 0.03, `std ${std}`);
  const u = new Rng(1).uniformArray(1000, -2, 3);
  assert.ok(u.every((v) => v >= -2 && v < 3));
  assert.notEqual(deriveSeed(1, "G"), deriveSeed(1, "F"));
  assert.equal(deriveSeed(1, "G"), deriveSeed(1, "G"));
});

function build(seed: number, order: string[] = ["a", "b"]): ParamStore {
  const s = new ParamStore({ seed });
  for (const name of order) {
    s.scope(name).create("kernel", [3, 3, 2, 4], { init: { kind: "normal", std: 0.02 } });
  }
  s.create("bias", [4], { init: { kind: "constant", value: 0.5 } });
  s.create("stat", [4], { init: { kind: "constant", value: 1 }, trainable: false });
  return s;
}

Deno.test("ParamStore: same seed -> identical values, independent of creation order", async () => {
  const s1 = build(7);
  const s2 = build(7, ["b", "a"]);
  const s3 = build(8);
  const w1 = await s1.getWeights();
  const w2 = await s2.getWeights();
  const w3 = await s3.getWeights();
  assert.deepEqual(Object.keys(w1), ["a/kernel", "b/kernel", "bias", "stat"]);
  assert.deepEqual(w1["a/kernel"], w2["a/kernel"]);
  assert.deepEqual(w1["b/kernel"], w2["b/kernel"]);
  assert.notDeepEqual(w1["a/kernel"].data, w3["a/kernel"].data);
  assert.notDeepEqual(w1["a/kernel"].data, w1["b/kernel"].data, "names get distinct streams");
  // N(0, 0.02): 72 values, std within a loose band
  const d = w1["a/kernel"].data;
  const std = Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
  assert.ok(std > 0.012 && std < 0.028, `std ${std}`);
  assert.deepEqual([...w1.bias.data], [0.5, 0.5, 0.5, 0.5]);
  for (const s of [s1, s2, s3]) s.dispose();
});

Deno.test("ParamStore: names, counts, trainable list, get", () => {
  const s = build(1);
  assert.deepEqual(s.names(), ["a/kernel", "b/kernel", "bias", "stat"]);
  assert.equal(s.count(), 72 * 2 + 4 + 4);
  assert.equal(s.count({ trainableOnly: true }), 72 * 2 + 4);
  assert.equal(s.trainableVariables().length, 3);
  assert.equal(s.variables().length, 4);
  assert.deepEqual(s.get("b/kernel").shape, [3, 3, 2, 4]);
  assert.throws(() => s.get("nope"), /no parameter 'nope'/);
  assert.throws(() => s.create("bias", [1], { init: { kind: "constant", value: 0 } }), /exists/);
  s.dispose();
});

Deno.test("ParamStore: getWeights/setWeights round trip, and validation", async () => {
  const a = build(1);
  const b = build(2);
  const wa = await a.getWeights();
  b.setWeights(wa);
  assert.deepEqual(await b.getWeights(), wa);
  // the copy is detached from the variable
  wa.bias.data[0] = 99;
  assert.equal((await a.get("bias").data())[0], 0.5);
  assert.throws(() => b.setWeights({ bias: wa.bias }), /missing \[a\/kernel, b\/kernel, stat\]/);
  assert.throws(
    () => b.setWeights({ ...wa, extra: { shape: [1], data: new Float32Array(1) } }),
    /unknown \[extra\]/,
  );
  assert.throws(
    () => b.setWeights({ bias: { shape: [5], data: new Float32Array(5) } }, { strict: false }),
    /shape/,
  );
  b.setWeights({ bias: { shape: [4], data: new Float32Array([1, 2, 3, 4]) } }, { strict: false });
  assert.deepEqual([...await b.get("bias").data()], [1, 2, 3, 4]);
  a.dispose();
  b.dispose();
});

Deno.test("ParamStore: namespaces name the tfjs variables; a clash is a clear error", () => {
  const before = tf.memory().numTensors;
  const g = new ParamStore({ seed: 1, namespace: "G_test" });
  const v = g.scope("conv").create("kernel", [2], { init: { kind: "constant", value: 0 } });
  assert.equal(v.name, "G_test/conv/kernel");
  const clash = new ParamStore({ seed: 1, namespace: "G_test" });
  assert.throws(
    () => clash.scope("conv").create("kernel", [2], { init: { kind: "constant", value: 0 } }),
    /another live ParamStore uses namespace 'G_test'/,
  );
  g.dispose();
  clash.dispose();
  assert.throws(() => g.create("x", [1], { init: { kind: "constant", value: 0 } }), /disposed/);
  assert.equal(tf.memory().numTensors, before, "dispose releases every variable");
});
