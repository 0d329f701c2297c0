/** Adversarial losses on tiny hand-computed tensors (cpu backend: exact reference numerics). */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import {
  bceDiscriminatorLoss,
  bceGeneratorLoss,
  bceWithLogits,
  localAccuracy,
  localAdversarialLoss,
  lsganDiscriminatorLoss,
  lsganGeneratorLoss,
  lsganTargets,
  REAL,
  REFINED,
} from "../../lib/losses/adversarial.ts";
import { useCpu } from "../nn/_cpu.ts";

await useCpu();

/** The value of a scalar-returning function, with a check that it leaks nothing. */
function value(f: () => tf.Tensor): number {
  const before = tf.memory().numTensors;
  const v = tf.tidy(() => f().dataSync()[0]);
  assert.equal(tf.memory().numTensors, before, "no leaked tensors");
  return v;
}

const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);

Deno.test("localAdversarialLoss: logits [[0, 0]] give ln 2 for either class", () => {
  close(value(() => localAdversarialLoss(tf.zeros([1, 1, 1, 2]), REAL)), Math.LN2);
  close(value(() => localAdversarialLoss(tf.zeros([1, 1, 1, 2]), REFINED)), Math.LN2);
});

Deno.test("localAdversarialLoss: per-position CE, mean over positions and batch, or sum", () => {
  // two positions of one image: logits (0, ln 3) and (ln 3, 0) -> softmax (1/4, 3/4), (3/4, 1/4)
  const l = () => tf.tensor4d([0, Math.log(3), Math.log(3), 0], [1, 1, 2, 2]);
  const ceReal = [-Math.log(3 / 4), -Math.log(1 / 4)];
  close(value(() => localAdversarialLoss(l(), REAL)), (ceReal[0] + ceReal[1]) / 2, 1e-6);
  close(value(() => localAdversarialLoss(l(), REAL, { reduction: "sum" })), ceReal[0] + ceReal[1]);
  close(value(() => localAdversarialLoss(l(), REFINED)), (ceReal[1] + ceReal[0]) / 2);
  // batch of 2 with "sum": summed per image, averaged over images
  const two = () => tf.concat([l(), tf.zeros([1, 1, 2, 2])]);
  close(
    value(() => localAdversarialLoss(two(), REAL, { reduction: "sum" })),
    (ceReal[0] + ceReal[1] + 2 * Math.LN2) / 2,
    1e-6,
  );
  assert.throws(() => localAdversarialLoss(tf.zeros([1, 2, 2, 3]), REAL), /2 classes/);
  assert.throws(() => localAdversarialLoss(tf.zeros([1, 2, 2, 2]), 2 as 0), /0 or 1/);
});

Deno.test("localAdversarialLoss: gradient is softmax - onehot per position / positions", () => {
  const x = tf.tensor4d([0, Math.log(3)], [1, 1, 1, 2]);
  const g = tf.grad((t: tf.Tensor) => localAdversarialLoss(t, REAL))(x);
  const got = Array.from(g.dataSync());
  close(got[0], 0.25);
  close(got[1], 0.75 - 1);
  tf.dispose([x, g]);
});

Deno.test("localAccuracy: arg-max class per position, ties count as refined", () => {
  const l = () => tf.tensor4d([0, 1, 1, 0, 0, 0, 2, 5], [1, 2, 2, 2]);
  close(value(() => localAccuracy(l(), REAL)), 2 / 4);
  close(value(() => localAccuracy(l(), REFINED)), 2 / 4);
});

Deno.test("bceWithLogits: matches -t log s - (1-t) log(1-s), stable for large logits", () => {
  const s = (v: number) => 1 / (1 + Math.exp(-v));
  for (const [l, t] of [[0, 1], [2, 1], [-3, 0], [1.5, 0.9]]) {
    const want = -t * Math.log(s(l)) - (1 - t) * Math.log(1 - s(l));
    close(value(() => tf.sum(bceWithLogits(tf.scalar(l), t))), want, 1e-6);
  }
  close(value(() => tf.sum(bceWithLogits(tf.scalar(100), 0))), 100, 1e-4);
  close(value(() => tf.sum(bceWithLogits(tf.scalar(-100), 1))), 100, 1e-4);
});

Deno.test("bce GAN losses: D = E BCE(real, 1) + E BCE(fake, 0); G = E BCE(fake, 1); smoothing", () => {
  // logits 0 everywhere: every BCE term is ln 2
  close(value(() => bceDiscriminatorLoss(tf.zeros([2, 1]), tf.zeros([3, 1]))), 2 * Math.LN2);
  close(value(() => bceGeneratorLoss(tf.zeros([2, 1]))), Math.LN2);
  // real logit 2 with realLabel 0.9: 0.9 * softplus(-2) + 0.1 * softplus(2)
  const sp = (v: number) => Math.log1p(Math.exp(v));
  close(
    value(() => bceDiscriminatorLoss(tf.tensor1d([2]), tf.tensor1d([-1]), { realLabel: 0.9 })),
    0.9 * sp(-2) + 0.1 * sp(2) + sp(-1),
    1e-6,
  );
  // generator with target 0.9 on logit 1
  close(
    value(() => bceGeneratorLoss(tf.tensor1d([1]), { target: 0.9 })),
    0.9 * sp(-1) + 0.1 * sp(1),
  );
  // smoothing the generator's target changes the generator loss only
  const g1 = value(() => bceGeneratorLoss(tf.tensor1d([1])));
  assert.notEqual(g1, value(() => bceGeneratorLoss(tf.tensor1d([1]), { target: 0.9 })));
});

Deno.test("lsgan: hand-computed values with a=0, b=c=1", () => {
  // D(y) = [1, 0.5], D(G(z)) = [0.2, 0]
  // D: 1/2 mean((1-1)^2, (0.5-1)^2) + 1/2 mean(0.2^2, 0^2) = 1/2 * 0.125 + 1/2 * 0.02 = 0.0725
  const real = () => tf.tensor1d([1, 0.5]);
  const fake = () => tf.tensor1d([0.2, 0]);
  close(value(() => lsganDiscriminatorLoss(real(), fake())), 0.0725);
  // G: 1/2 mean((0.2-1)^2, (0-1)^2) = 1/2 * (0.64 + 1) / 2 = 0.41
  close(value(() => lsganGeneratorLoss(fake())), 0.41);
  // a = -1, b = 1, c = 0 (the Pearson chi^2 coding)
  close(
    value(() => lsganDiscriminatorLoss(real(), fake(), { a: -1, b: 1, c: 0 })),
    0.0625 + 0.5 * (1.44 + 1) / 2,
  );
  close(value(() => lsganGeneratorLoss(fake(), { a: -1, b: 1, c: 0 })), 0.5 * 0.02);
});

Deno.test("lsgan label smoothing: 'generator' changes c only, 'real' changes b only", () => {
  assert.deepEqual(lsganTargets(), { a: 0, b: 1, c: 1 });
  assert.deepEqual(lsganTargets({ labelSmoothing: "generator" }), { a: 0, b: 1, c: 0.9 });
  assert.deepEqual(lsganTargets({ labelSmoothing: "real" }), { a: 0, b: 0.9, c: 1 });
  assert.deepEqual(lsganTargets({ labelSmoothing: "generator", smoothTo: 0.8 }).c, 0.8);
  const fake = () => tf.tensor1d([0.9]);
  // G targets 0.9 (GazeGAN): a fake D already calls 0.9 costs nothing
  close(value(() => lsganGeneratorLoss(fake(), { labelSmoothing: "generator" })), 0);
  close(value(() => lsganGeneratorLoss(fake())), 0.5 * 0.01);
  // the discriminator's loss is unchanged by generator-side smoothing...
  const d = (o: object) => value(() => lsganDiscriminatorLoss(tf.tensor1d([0.9]), fake(), o));
  close(d({ labelSmoothing: "generator" }), d({}));
  // ...and real-side smoothing moves D's real target to 0.9
  close(d({ labelSmoothing: "real" }), 0.5 * 0 + 0.5 * 0.81);
  assert.throws(() => lsganTargets({ labelSmoothing: "both" as "real" }), /labelSmoothing/);
});
