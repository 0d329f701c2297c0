/** Learning-rate schedule: constant then linear decay to 0, and setting an optimiser's rate. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import {
  applyLrSchedule,
  checkScheduleCoversSteps,
  getLearningRate,
  linearDecayLr,
  setLearningRate,
} from "../../lib/train/schedule.ts";
import "../../lib/nn/gradients.ts"; // tfjs-core alone has no gradient functions in Deno
import { UsageError } from "../../lib/util/cli.ts";
import { useCpu } from "../nn/_cpu.ts";

await useCpu();

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);

Deno.test("linearDecayLr: base for s < C, then linear, 0 at and after T", () => {
  const s = { base: 2e-4, constantSteps: 100, totalSteps: 200 };
  for (const step of [0, 1, 50, 99]) assert.equal(linearDecayLr(step, s), 2e-4);
  close(linearDecayLr(100, s), 2e-4);
  close(linearDecayLr(150, s), 1e-4);
  close(linearDecayLr(175, s), 0.5e-4);
  close(linearDecayLr(199, s), 2e-6);
  assert.equal(linearDecayLr(200, s), 0);
  assert.equal(linearDecayLr(1000, s), 0);
  // monotone non-increasing, and linear: equal differences over the decay
  let prev = Infinity;
  for (let i = 0; i <= 210; i++) {
    const lr = linearDecayLr(i, s);
    assert.ok(lr <= prev && lr >= 0, `step ${i}`);
    prev = lr;
  }
  for (let i = 101; i < 200; i++) {
    close(linearDecayLr(i - 1, s) - linearDecayLr(i, s), 2e-6, 1e-15);
  }
});

Deno.test("linearDecayLr: C = 0 decays from the start; T = C never decays", () => {
  close(linearDecayLr(0, { base: 1, constantSteps: 0, totalSteps: 4 }), 1);
  close(linearDecayLr(1, { base: 1, constantSteps: 0, totalSteps: 4 }), 0.75);
  close(linearDecayLr(3, { base: 1, constantSteps: 0, totalSteps: 4 }), 0.25);
  for (const step of [0, 10, 10_000]) {
    assert.equal(linearDecayLr(step, { base: 1e-3, constantSteps: 10, totalSteps: 10 }), 1e-3);
  }
});

Deno.test("linearDecayLr: rejects bad steps and schedules", () => {
  const s = { base: 1, constantSteps: 2, totalSteps: 4 };
  assert.throws(() => linearDecayLr(-1, s), RangeError);
  assert.throws(() => linearDecayLr(1.5, s), RangeError);
  assert.throws(() => linearDecayLr(0, { ...s, totalSteps: 1 }), /totalSteps/);
  assert.throws(() => linearDecayLr(0, { ...s, constantSteps: -1 }), /constantSteps/);
  assert.throws(() => linearDecayLr(0, { ...s, base: NaN }), /base/);
});

Deno.test("setLearningRate: Adam uses the new rate at its next update; 0 freezes", () => {
  const v = tf.variable(tf.scalar(1));
  const opt = tf.train.adam(0.1, 0.5);
  const loss = () => tf.square(v) as tf.Scalar;
  const step = () => tf.dispose(opt.minimize(loss, true, [v])!);
  step();
  const after1 = v.dataSync()[0];
  // Adam's first step moves by ~lr
  close(1 - after1, 0.1, 1e-4);
  setLearningRate(opt, 0);
  assert.equal(getLearningRate(opt), 0);
  assert.equal(opt.getConfig().learningRate, 0);
  step();
  assert.equal(v.dataSync()[0], after1, "lr 0: no change");
  setLearningRate(opt, 0.01);
  step();
  const moved = after1 - v.dataSync()[0];
  assert.ok(moved > 0 && moved < 0.0105, `moved ${moved}`);
  opt.dispose();
  v.dispose();
});

Deno.test("setLearningRate: SGD (cached -lr tensor) changes through its own setter", () => {
  const v = tf.variable(tf.scalar(1));
  const opt = tf.train.sgd(0.1);
  const before = tf.memory().numTensors;
  setLearningRate(opt, 0.5);
  assert.equal(tf.memory().numTensors, before, "the old cached rate is released");
  // v <- v - lr * 2v = 1 - 0.5 * 2 = 0
  tf.dispose(opt.minimize(() => tf.square(v) as tf.Scalar, true, [v])!);
  close(v.dataSync()[0], 0, 1e-7);
  assert.throws(() => setLearningRate(opt, -1), RangeError);
  assert.throws(() => setLearningRate(opt, Infinity), RangeError);
  opt.dispose();
  v.dispose();
});

Deno.test("applyLrSchedule: sets every optimiser and returns the rate", () => {
  const a = tf.train.adam(1), b = tf.train.adam(1);
  const lr = applyLrSchedule([a, b], 150, { base: 2e-4, constantSteps: 100, totalSteps: 200 });
  close(lr, 1e-4);
  close(getLearningRate(a), 1e-4);
  close(getLearningRate(b), 1e-4);
  a.dispose();
  b.dispose();
});

Deno.test("checkScheduleCoversSteps: steps past constant + decay are a usage error naming the fix", () => {
  const quick = { constantSteps: 700, decaySteps: 300 };
  checkScheduleCoversSteps(1000, quick); // the last step, 999, still has a rate > 0
  checkScheduleCoversSteps(10, quick);
  checkScheduleCoversSteps(5000, { constantSteps: 700, decaySteps: 0 }); // constant forever
  const refused = (steps: number, resume: boolean, pattern: RegExp) =>
    assert.throws(() => checkScheduleCoversSteps(steps, quick, { resume }), (e: unknown) => {
      assert.ok(e instanceof UsageError, `a UsageError (exit 2), got ${e}`);
      assert.match(e.message, pattern);
      return true;
    });
  refused(1001, false, /; step 1001 would run at learning rate 0/);
  refused(
    1500,
    false,
    /--steps 1500 goes past.*--schedule\.constantSteps 700.*--schedule\.decaySteps 300.*reaching 0 at step 1000; steps 1001-1500 would run at learning rate 0.*--schedule\.decaySteps 800 .*--schedule\.constantSteps 1200 .*--steps 1000/,
  );
  refused(1500, true, /with --resume the schedule flags may change/);
  let fresh = "";
  try {
    checkScheduleCoversSteps(1500, quick);
  } catch (e) {
    fresh = (e as Error).message;
  }
  assert.doesNotMatch(fresh, /--resume/, "a new run's message does not speak of resuming");
});
