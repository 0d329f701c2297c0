/**
 * A complete, schema-valid `eval.json` with fixed numbers for report tests: refiner named
 * {@link EVIL} (to check escaping), data sets under `dir`, optionally a real set.
 *
 * @module
 */
import { GAZE_EVAL_FORMAT, type GazeEvalFile } from "../../lib/eval/eval_file.ts";
import { ESTIMATOR_DEFAULTS } from "../../lib/gaze/estimator.ts";
import { summariseErrors } from "../../lib/gaze/metrics.ts";

/** Markup that must come out escaped wherever a report shows a name. */
export const EVIL = `<script>alert("x")</script>`;

/** The evaluation (see the module documentation). */
export function fakeEval(dir: string, withReal: boolean): GazeEvalFile {
  const syn = summariseErrors([5, 8, 12, 20]);
  const ref = summariseErrors([4, 6, 7, 9]);
  const tgt = summariseErrors([2, 3, 4, 5]);
  const kidOf = (mean: number) => ({
    mean,
    std: mean / 10,
    subsets: 10,
    subsetSize: 4,
    n: 4,
    m: 4,
    d: 8,
  });
  const cls = (accuracy: number) => ({
    accuracy,
    stdError: 0.05,
    n: 100,
    correct: Math.round(accuracy * 100),
    accuracyReal: accuracy,
    accuracyRefined: accuracy,
    zScore: 1,
    trainAccuracy: 1,
    nTrain: 300,
    finalLoss: 0.3,
  });
  const ref4 = (d: string) => ({
    dir: d,
    count: 4,
    height: 4,
    width: 6,
    channels: 1,
    domain: null,
  });
  const outcome = (s: typeof syn, d: string) => ({
    trained_on: d,
    test_error: s,
    final_loss: 0.01,
    train_seconds: 1,
    cached: false,
    cache_key: null,
  });
  const against = (k: number, a: number) => ({
    kid_images: `${dir}/target-test`,
    classifier_images: `${dir}/target-train`,
    kid: { refined: kidOf(k), synthetic: kidOf(3 * k) },
    classifier: { refined: cls(a), synthetic: cls(0.97) },
  });
  return {
    format: GAZE_EVAL_FORMAT,
    refiner: { name: `Evil ${EVIL}`, precomputed: false, source: null },
    image_size: { height: 4, width: 6, channels: 1 },
    data: {
      synthetic: ref4(`${dir}/syn`),
      target_train: ref4(`${dir}/target-train`),
      target_test: ref4(`${dir}/target-test`),
      ...(withReal ? { real: ref4(`${dir}/real`) } : {}),
      refined: { ...ref4(`${dir}/run/refined`), clipped_fraction: 0.001 },
    },
    estimator: { ...ESTIMATOR_DEFAULTS, height: 4, width: 6, steps: 30 },
    skipped: [],
    gaze: {
      synthetic: outcome(syn, `${dir}/syn`),
      refined: outcome(ref, `${dir}/run/refined`),
      target: outcome(tgt, `${dir}/target-train`),
    },
    label_preservation: {
      train: {
        images: "synthetic_train",
        refined: summariseErrors([1, 2]),
        raw: summariseErrors([1, 1]),
      },
    },
    realism: {
      features: {
        network: "target-estimator",
        layer: "fc1",
        description: "fc1 of estimator (c)",
        domain_specific: true,
        cache_key: "abc",
      },
      kid_settings: { subsets: 10, subsetSize: 4, seed: 0 },
      classifier_settings: {
        testFraction: 0.25,
        steps: 10,
        batchSize: 8,
        learningRate: 1e-3,
        filters: [4, 8, 8],
        maxPerClass: 100,
        seed: 0,
      },
      limit: 100,
      target: against(0.0123, 0.61),
      ...(withReal ? { real: against(0.0456, 0.72) } : {}),
    },
    backend: { tfjs: "wasm" },
    created: "2025-01-01T00:00:00.000Z",
    seconds: 12,
    created_by: "test",
  };
}
