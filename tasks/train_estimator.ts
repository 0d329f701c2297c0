/**
 * `deno task train-estimator`: trains the gaze estimator on a labelled data set, tests it on
 * another, and writes `RUN/eval.json` (mean/median angular error, % within 0..20 degrees) and
 * `RUN/estimator.safetensors`.
 *
 * ```sh
 * deno task train-estimator --train data/generated/synthetic-train \
 *   --test data/generated/real-test --steps 600 --seed 0 --out runs/estimator-syn
 * ```
 *
 * @module
 */
import { formatBackendReport, initBackend, parseBackendName } from "../lib/backend/mod.ts";
import { withinPctAt } from "../lib/gaze/metrics.ts";
import { runEstimator } from "../lib/gaze/run.ts";
import { ESTIMATOR_DEFAULTS } from "../lib/gaze/estimator.ts";
import {
  intFlag,
  numberFlag,
  parsedFlag,
  parseFlags,
  requiredFlag,
  runTask,
  UsageError,
} from "../lib/util/cli.ts";

const USAGE = `Usage: deno task train-estimator --train DIR --test DIR --out RUN
       [--steps N] [--batch N] [--lr X] [--width X] [--target pitchyaw|vector] [--flip]
       [--seed S] [--backend NAME] [--quiet]

  --train    labelled data set to train on (make-data or import-data output)
  --test     labelled data set to test on
  --out      run folder for eval.json and estimator.safetensors
  --steps    training steps (default ${ESTIMATOR_DEFAULTS.steps})
  --batch    batch size (default ${ESTIMATOR_DEFAULTS.batchSize})
  --lr       Adam learning rate (default ${ESTIMATOR_DEFAULTS.learningRate})
  --width    width multiplier of the paper's network (default ${ESTIMATOR_DEFAULTS.widthMultiplier})
  --target   regress pitch/yaw or the 3-D gaze vector (default ${ESTIMATOR_DEFAULTS.target})
  --flip     mirror half of each batch, negating yaw
  --seed     integer seed (default 0)
  --backend  auto (default), wasm, cpu, webgpu, tfjs-node, tfjs-node-gpu`;

const FLAGS = {
  train: { type: "string" },
  test: { type: "string" },
  out: { type: "string" },
  steps: { type: "string", default: String(ESTIMATOR_DEFAULTS.steps) },
  batch: { type: "string", default: String(ESTIMATOR_DEFAULTS.batchSize) },
  lr: { type: "string", default: String(ESTIMATOR_DEFAULTS.learningRate) },
  width: { type: "string", default: String(ESTIMATOR_DEFAULTS.widthMultiplier) },
  target: { type: "string", default: ESTIMATOR_DEFAULTS.target },
  flip: { type: "boolean", default: false },
  seed: { type: "string", default: "0" },
  backend: { type: "string", default: "auto" },
  quiet: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

if (import.meta.main) {
  await runTask("train-estimator", USAGE, async () => {
    const { values: v } = parseFlags(Deno.args, FLAGS);
    if (v.help) return void console.log(USAGE);
    const target = v.target;
    if (target !== "pitchyaw" && target !== "vector") {
      throw new UsageError(`--target must be pitchyaw or vector, got '${target}'`);
    }
    const report = await initBackend({
      backend: parsedFlag("backend", v.backend, parseBackendName),
    });
    if (!v.quiet) console.error(formatBackendReport(report));
    const result = await runEstimator({
      train: requiredFlag("train", v.train),
      test: requiredFlag("test", v.test),
      out: requiredFlag("out", v.out),
      quiet: v.quiet === true,
      config: {
        steps: intFlag("steps", v.steps),
        batchSize: intFlag("batch", v.batch),
        learningRate: numberFlag("lr", v.lr),
        widthMultiplier: numberFlag("width", v.width),
        target,
        flipAugment: v.flip === true,
        seed: intFlag("seed", v.seed, 0),
      },
    });
    const e = result.test_error;
    console.log(
      `test error on ${result.test.dir}: mean ${e.meanDeg.toFixed(2)} deg, median ` +
        `${e.medianDeg.toFixed(2)} deg, within 7 deg ${withinPctAt(e, 7)?.toFixed(1) ?? "—"}% ` +
        `(n=${e.n}); wrote ${v.out}/eval.json`,
    );
  });
}
