/**
 * `train-estimator` as a library call: train the gaze estimator on one labelled data set,
 * test it on another, and write `eval.json` and the weights into a run folder.
 *
 * @module
 */
import { Dataset } from "../data/dataset.ts";
import { ProgressBar } from "../util/progress.ts";
import {
  type EstimatorConfig,
  evaluateEstimator,
  saveEstimator,
  trainEstimator,
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
  seconds: number;
  weights: string;
}

/** Options of {@link runEstimator}. */
export interface RunEstimatorOptions {
  train: string;
  test: string;
  out: string;
  config?: Partial<EstimatorConfig>;
  quiet?: boolean;
}

/**
 * Trains on `train`, evaluates on `test`, writes `out/estimator.safetensors` and
 * `out/eval.json`, and returns the evaluation.
 */
export async function runEstimator(options: RunEstimatorOptions): Promise<EstimatorEval> {
  const train = await Dataset.open(options.train);
  const test = await Dataset.open(options.test);
  try {
    await Deno.mkdir(options.out, { recursive: true });
    const steps = options.config?.steps ?? 600;
    const bar = new ProgressBar(steps, { label: "estimator", unit: "step", quiet: options.quiet });
    const t0 = performance.now();
    let last = NaN;
    const est = await trainEstimator(train, options.config, {
      onStep: ({ step, loss }) => {
        last = loss;
        bar.update(step, { loss: loss.toFixed(4) });
      },
    });
    bar.finish();
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
        final_loss: last,
        seconds: (performance.now() - t0) / 1000,
        weights,
      };
      const tmp = `${options.out}/eval.json.tmp`;
      await Deno.writeTextFile(tmp, JSON.stringify(result, null, 2) + "\n");
      await Deno.rename(tmp, `${options.out}/eval.json`);
      return result;
    } finally {
      est.net.dispose();
    }
  } finally {
    train.close();
    test.close();
  }
}
