/**
 * An automatic "visual Turing test": train a small CNN to tell real (target-domain) images from
 * refined (or raw synthetic) ones on a seeded training split, and report its accuracy on the
 * held-out split. 50% means the classifier cannot tell them apart; 100% means every refined
 * image is recognisable. The SimGAN paper ran this test with people (its Table 1: 51.7%
 * accuracy on real vs refined, about 81% on real vs unrefined synthetic); this is the same
 * question put to a classifier.
 *
 * **Paired sides** (`pairs: true`): when the two sides are the same eyes in the same order (a
 * paired set's ground-truth twins against G(x) of its inputs, `lib/eval/paired.ts`), both sides
 * are split with the same permutation, so a held-out image's counterpart on the other side is
 * held out too: the classifier never trains on an eye it is tested on, under either label.
 * (Without it each side gets its own permutation, so image i could be trained on as "real" and
 * its counterpart tested as "refined".)
 *
 * The classifier is deliberately small and sees only what the data set holds, so a low
 * accuracy says "this classifier, with this much data, could not separate them", not that no
 * one could. Compare methods with the same config and sizes.
 *
 * Classifier (`lib/nn` layers), for `[B,H,W,C]` images in [-1, 1]:
 *
 * ```
 * conv3x3 s2 (f1) -> LReLU -> conv3x3 s2 (f2) -> LReLU -> conv3x3 s2 (f3) -> LReLU
 *   -> global average pool -> FC 1 (logit of "real")
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Dataset } from "../data/dataset.ts";
import { conv2d, dense } from "../nn/layers.ts";
import { ParamStore } from "../nn/params.ts";
import { deriveSeed } from "../nn/rng.ts";
import { Rng } from "../util/random.ts";

/** Images in memory: `data` holds `shape = [N, H, W, C]` values in [-1, 1], row-major. */
export interface ImageSet {
  data: Float32Array;
  shape: readonly [number, number, number, number];
}

/** What the test accepts for each side: images in memory, or a data set (read in file order). */
export type ImageSource = ImageSet | Dataset;

/** Settings of {@link visualTuringTest}. */
export interface TuringConfig {
  /** Fraction of each class held out for testing (default 0.25). */
  testFraction: number;
  /** Training steps (default 400). */
  steps: number;
  /** Images per step, drawn from both classes' training images in shuffled order (default 32). */
  batchSize: number;
  /** Adam learning rate (default 1e-3). */
  learningRate: number;
  /** Widths of the three stride-2 convolutions (default [16, 32, 64]). */
  filters: [number, number, number];
  /** Images used per class at most (default 2000); both classes use the same number. */
  maxPerClass: number;
  /** Seed of the split, the weights and the batch order (default 0). */
  seed: number;
}

/** Defaults of {@link TuringConfig}: a few seconds on two CPU cores (wasm) at 36x60. */
export const TURING_DEFAULTS: TuringConfig = {
  testFraction: 0.25,
  steps: 400,
  batchSize: 32,
  learningRate: 1e-3,
  filters: [16, 32, 64],
  maxPerClass: 2000,
  seed: 0,
};

/** Result of {@link visualTuringTest}. */
export interface TuringResult {
  /** Held-out accuracy, 0..1 (0.5 = indistinguishable). */
  accuracy: number;
  /** Binomial standard error of `accuracy`: `sqrt(p (1 - p) / n)`. */
  stdError: number;
  /** Held-out images (both classes together). */
  n: number;
  /** Held-out images classified correctly. */
  correct: number;
  /** Accuracy on the held-out real images, and on the held-out refined ones. */
  accuracyReal: number;
  accuracyRefined: number;
  /**
   * How many standard errors `accuracy` lies above chance under the null hypothesis
   * (`(p - 0.5) / sqrt(0.25 / n)`); above ~2 the classifier does tell them apart.
   */
  zScore: number;
  /** Accuracy on the training images (far above `accuracy` means overfitting). */
  trainAccuracy: number;
  /** Training images (both classes). */
  nTrain: number;
  /** Loss of the last training step. */
  finalLoss: number;
  /** The config used. */
  config: TuringConfig;
}

/** Options of {@link visualTuringTest} that are not part of the recorded {@link TuringConfig}. */
export interface TuringOptions {
  /** Training progress. */
  onStep?: (s: TuringStep) => void;
  /**
   * The sides are paired (image i of `real` and image i of `refined` are the same eye): split
   * both with one permutation, so the held-out pairs are disjoint from the training pairs (see
   * the module documentation). Needs the same number of images on both sides.
   */
  pairs?: boolean;
}

/** Progress of {@link visualTuringTest}. */
export interface TuringStep {
  step: number;
  loss: number;
}

function isImageSet(x: ImageSource): x is ImageSet {
  return "data" in x && (x as ImageSet).data instanceof Float32Array && "shape" in x;
}

/** Reads up to `max` images of a source as `[n, H, W, C]` floats in [-1, 1]. */
async function readImages(source: ImageSource, max: number, what: string): Promise<ImageSet> {
  if (isImageSet(source)) {
    const [n, h, w, c] = source.shape;
    if (source.data.length !== n * h * w * c) {
      throw new RangeError(
        `${what}: data has ${source.data.length} values for shape [${source.shape}]`,
      );
    }
    const k = Math.min(n, max);
    return { data: source.data.subarray(0, k * h * w * c), shape: [k, h, w, c] };
  }
  const k = Math.min(source.count, max);
  const { height: h, width: w, channels: c } = source;
  const data = new Float32Array(k * h * w * c);
  let offset = 0;
  for await (const batch of source.batches({ batchSize: 512, include: [], end: k })) {
    data.set(batch.images as Float32Array, offset);
    offset += batch.images.length;
  }
  return { data, shape: [k, h, w, c] };
}

/** The classifier: three stride-2 convs, global average pooling, one logit. */
function buildClassifier(config: TuringConfig, channels: number) {
  const store = new ParamStore({ seed: deriveSeed(config.seed, "turing") });
  const widths = config.filters;
  const convs = widths.map((filters, i) =>
    conv2d(store.scope(`conv${i + 1}`), {
      inChannels: i === 0 ? channels : widths[i - 1],
      filters,
      kernel: 3,
      stride: 2,
      padding: "same",
      init: "he",
    })
  );
  const out = dense(store.scope("out"), { inUnits: widths[2], units: 1, init: "glorot" });
  return {
    store,
    /** Logits `[B]` of "real". */
    logits(x: tf.Tensor4D): tf.Tensor1D {
      return tf.tidy(() => {
        let h: tf.Tensor = x;
        for (const conv of convs) h = tf.leakyRelu(conv.apply(h), 0.2);
        // global average pooling: [B,H',W',F] -> [B,F]
        const pooled = tf.mean(h, [1, 2]);
        return tf.reshape(out.apply(pooled), [-1]) as tf.Tensor1D;
      });
    },
  };
}

/**
 * Sigmoid cross-entropy on logits z with labels t in {0, 1}, in the stable form
 * `L = mean(max(z, 0) - z t + log(1 + exp(-|z|)))`.
 */
function sigmoidCrossEntropy(z: tf.Tensor1D, t: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() =>
    tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, t)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))))
  );
}

/**
 * Trains a small CNN to tell `real` images from `refined` ones and reports its held-out
 * accuracy (see the module doc). Both sides use the same number of images (the smaller side's,
 * at most `maxPerClass`), so chance is exactly 50%; each side is split with a seeded
 * permutation into `testFraction` held out and the rest for training. Leaks no tensors.
 *
 * @param real target-domain images in [-1, 1] (`ImageSet` or a data set).
 * @param refined refined or synthetic images of the same size.
 * @param config overrides of {@link TURING_DEFAULTS}; `onStep` reports training progress;
 *   `pairs` splits paired sides by pair ({@link TuringOptions}).
 * @throws {RangeError} if the image sizes differ, a side has fewer than 4 images, or paired
 *   sides differ in length.
 * @example
 * ```ts ignore
 * const r = await visualTuringTest(realDataset, { data: refined, shape: [n, 36, 60, 1] });
 * console.log(`${(100 * r.accuracy).toFixed(1)}% ± ${(100 * r.stdError).toFixed(1)} (n=${r.n})`);
 * ```
 */
export async function visualTuringTest(
  real: ImageSource,
  refined: ImageSource,
  config: Partial<TuringConfig> & TuringOptions = {},
): Promise<TuringResult> {
  const { onStep, pairs, ...overrides } = config;
  const cfg: TuringConfig = { ...TURING_DEFAULTS, ...overrides };
  if (!(cfg.testFraction > 0 && cfg.testFraction < 1)) {
    throw new RangeError(
      `visualTuringTest: testFraction must be in (0, 1), got ${cfg.testFraction}`,
    );
  }
  const a = await readImages(real, cfg.maxPerClass, "real");
  const b = await readImages(refined, cfg.maxPerClass, "refined");
  const [, h, w, c] = a.shape;
  if (b.shape[1] !== h || b.shape[2] !== w || b.shape[3] !== c) {
    throw new RangeError(
      `visualTuringTest: real images are ${h}x${w}x${c}, refined ${b.shape.slice(1).join("x")}`,
    );
  }
  if (pairs && a.shape[0] !== b.shape[0]) {
    throw new RangeError(
      `visualTuringTest: paired sides differ in length (${a.shape[0]} real, ${b.shape[0]} refined)`,
    );
  }
  const k = Math.min(a.shape[0], b.shape[0]);
  if (k < 4) throw new RangeError(`visualTuringTest: need >= 4 images per side, got ${k}`);
  const nTest = Math.max(1, Math.min(k - 1, Math.round(k * cfg.testFraction)));
  const rng = new Rng(cfg.seed).fork("turing");
  const per = h * w * c;
  // Split each side: a seeded permutation, the first nTest held out (paired sides: one
  // permutation for both, so the held-out pairs are whole). Labels: real = 1.
  const sides = [{ set: a, label: 1 }, { set: b, label: 0 }].map(({ set, label }, s) => {
    const order = rng.fork("split", pairs ? 0 : s).permutation(set.shape[0]).subarray(0, k);
    return { set, label, test: order.subarray(0, nTest), train: order.subarray(nTest) };
  });
  const train: [number, number][] = sides.flatMap((side, s) =>
    Array.from(side.train, (i) => [s, i] as [number, number])
  );
  const test: [number, number][] = sides.flatMap((side, s) =>
    Array.from(side.test, (i) => [s, i] as [number, number])
  );
  const gather = (items: [number, number][]) => {
    const x = new Float32Array(items.length * per);
    const t = new Float32Array(items.length);
    items.forEach(([s, i], j) => {
      x.set(sides[s].set.data.subarray(i * per, (i + 1) * per), j * per);
      t[j] = sides[s].label;
    });
    return { x, t };
  };
  const net = buildClassifier(cfg, c);
  const optimizer = tf.train.adam(cfg.learningRate);
  const batchSize = Math.max(2, Math.min(cfg.batchSize, train.length));
  let finalLoss = NaN;
  try {
    const batchRng = rng.fork("batches");
    let order: [number, number][] = [];
    for (let step = 1; step <= cfg.steps; step++) {
      if (order.length < batchSize) order = batchRng.shuffle([...train]);
      const { x, t } = gather(order.splice(0, batchSize));
      const loss = tf.tidy(() => {
        const xs = tf.tensor4d(x, [t.length, h, w, c]);
        const ts = tf.tensor1d(t);
        return optimizer.minimize(
          () => sigmoidCrossEntropy(net.logits(xs), ts),
          true,
          net.store.trainableVariables(),
        )!;
      });
      finalLoss = (await loss.data())[0];
      loss.dispose();
      if (!Number.isFinite(finalLoss)) {
        throw new Error(`visualTuringTest: loss is ${finalLoss} at step ${step}`);
      }
      onStep?.({ step, loss: finalLoss });
    }
    const score = async (items: [number, number][]) => {
      let correct = 0;
      const perClass = [0, 0];
      for (let i = 0; i < items.length; i += 256) {
        const chunk = items.slice(i, i + 256);
        const { x, t } = gather(chunk);
        const z = tf.tidy(() => net.logits(tf.tensor4d(x, [chunk.length, h, w, c])));
        const logits = await z.data();
        z.dispose();
        for (let j = 0; j < chunk.length; j++) {
          if ((logits[j] > 0 ? 1 : 0) === t[j]) {
            correct++;
            perClass[chunk[j][0]]++;
          }
        }
      }
      return { correct, perClass };
    };
    const held = await score(test);
    const fit = await score(train);
    const n = test.length;
    const p = held.correct / n;
    return {
      accuracy: p,
      // binomial standard error: sqrt(p (1 - p) / n)
      stdError: Math.sqrt((p * (1 - p)) / n),
      n,
      correct: held.correct,
      accuracyReal: held.perClass[0] / nTest,
      accuracyRefined: held.perClass[1] / nTest,
      // z = (p - 1/2) / sqrt(1/4 / n), the normal approximation under "indistinguishable"
      zScore: (p - 0.5) / Math.sqrt(0.25 / n),
      trainAccuracy: fit.correct / train.length,
      nTrain: train.length,
      finalLoss,
      config: cfg,
    };
  } finally {
    optimizer.dispose();
    net.store.dispose();
  }
}
