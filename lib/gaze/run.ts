/**
 * `train-estimator` as a library call: train the gaze estimator on one labelled data set,
 * test it on another, and write `eval.json` and the weights into a run folder.
 *
 * @module
 */
import { Dataset } from "../data/dataset.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import {
  type EstimatorConfig,
  evaluateEstimator,
  saveEstimator,
  trainEstimatorWithProgress,
} from "./estimator.ts";
import type { GazeErrorSummary } from "./metrics.ts";

/** What `eval.json` of an estimator run holds. */
export interface EstimatorEval {
  format: "eyegan-estimator-eval/1";
  train: { dir: string; count: number; domain: unknown };
  test: { dir: string; count: number; domain: unknown };
  config: EstimatorConfig;
  /** Errors on the test set. */
  test_error: GazeErrorSummary;
  /** Training loss of the last step. */
  final_loss: number;
  /** Seconds of training, evaluation and saving together. */
  seconds: number;
  weights: string;
}

/** Options of {@link runEstimator}. */
export interface RunEstimatorOptions {
  train: string;
  test: string;
  out: string;
  /** Overrides of `ESTIMATOR_DEFAULTS` (`undefined` values keep the default). */
  config?: Partial<EstimatorConfig>;
  quiet?: boolean;
}

/**
 * Trains on `train`, evaluates on `test`, writes `out/estimator.safetensors` and
 * `out/eval.json` (atomically), and returns the evaluation.
 */
export async function runEstimator(options: RunEstimatorOptions): Promise<EstimatorEval> {
  const train = await Dataset.open(options.train);
  try {
    const test = await Dataset.open(options.test);
    try {
      await Deno.mkdir(options.out, { recursive: true });
      const t0 = performance.now();
      const { est, finalLoss } = await trainEstimatorWithProgress(train, options.config ?? {}, {
        label: "estimator",
        quiet: options.quiet,
      });
      try {
        const summary = await evaluateEstimator(est, test);
        const weights = `${options.out}/estimator.safetensors`;
        await saveEstimator(est, weights);
        const result: EstimatorEval = {
          format: "eyegan-estimator-eval/1",
          train: { dir: options.train, count: train.count, domain: train.meta.domain },
          test: { dir: options.test, count: test.count, domain: test.meta.domain },
          config: est.config,
          test_error: summary,
          final_loss: finalLoss,
          seconds: (performance.now() - t0) / 1000,
          weights,
        };
        await writeJsonAtomic(`${options.out}/eval.json`, result);
        return result;
      } finally {
        est.net.dispose();
      }
    } finally {
      test.close();
    }
  } finally {
    train.close();
  }
}
