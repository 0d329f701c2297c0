/**
 * `deno task eval-gaze`: the SimGAN evaluation protocol (`lib/eval/protocol.ts`) for a trained
 * refiner, or for the identity as a sanity check. Writes `OUT/refined/`, `OUT/eval.json` and
 * (unless `--no-report`) `OUT/report.html`, and prints the summary table.
 *
 * ```sh
 * deno task eval-gaze --identity --out runs/eval-identity          # the raw baseline itself
 * deno task eval-gaze --refiner runs/simgan-20250101-120000        # a method's run
 * deno task eval-gaze --refiner RUN --steps 300 --seed 1 --real data/generated/mpiigaze-36x60
 * ```
 *
 * `--refiner RUN` reads the method from `RUN/config.json`, imports `lib/methods/<method>/mod.ts`
 * (which registers the method's refiner loader with `registerRefinerLoader`; see
 * `loadRefinerFromRun` in `lib/eval/refiner.ts`), and loads the refiner from the run's
 * checkpoint. The default data sets (`lib/data/defaults.ts`) are rendered when missing.
 *
 * The output folder defaults to the `--refiner` run itself: its `eval.json` and `refined/` are
 * replaced together, only once the evaluation has finished. Its `report.html` is then rewritten
 * with the method's own sections (refinement grids, rebuilt from the run's checkpoint and data
 * sets by the builder the method's module registers with `registerRunReportSections`); if they
 * cannot be rebuilt, the report is written without them and a note says why.
 *
 * @module
 */
import { formatBackendReport, initBackend, parseBackendName } from "../lib/backend/mod.ts";
import { DEFAULT_DATA, ensureDefaultData } from "../lib/data/defaults.ts";
import { formatEvalSummary } from "../lib/eval/eval_file.ts";
import { DEFAULT_ESTIMATOR_CACHE } from "../lib/eval/estimator_cache.ts";
import { REALISM_LIMIT_DEFAULT, runGazeProtocol } from "../lib/eval/protocol.ts";
import {
  identityRefiner,
  loadRefinerFromRun,
  type Refiner,
  refinerRunFlag,
} from "../lib/eval/refiner.ts";
import { TURING_DEFAULTS } from "../lib/eval/turing.ts";
import { ESTIMATOR_DEFAULTS } from "../lib/gaze/estimator.ts";
import { writeRunReportWithMethodSections } from "../lib/report/run_report_sections.ts";
import { timestamp } from "../lib/train/run.ts";
import {
  intFlag,
  numberFlag,
  parsedFlag,
  parseFlags,
  runTask,
  UsageError,
} from "../lib/util/cli.ts";

const USAGE = `Usage: deno task eval-gaze (--refiner RUN | --identity) [--out DIR]
       [--synthetic DIR] [--target-train DIR] [--target-test DIR] [--real DIR]
       [--synthetic-test DIR] [--steps N] [--seed S] [--width X] [--batch N]
       [--skip-upper-bound] [--skip-label-preservation] [--skip-kid] [--skip-classifier]
       [--kid-features target|random] [--classifier-steps N] [--realism-limit N]
       [--cache DIR | --no-cache] [--no-report] [--backend NAME] [--quiet]

Refines the synthetic training set, trains the gaze estimator on (a) raw synthetic,
(b) refined and (c) target training images (same steps, seed, config), tests all three on
the target test set, measures label preservation and realism (domain-specific KID,
real-vs-refined classifier), and writes OUT/eval.json, OUT/refined/ and OUT/report.html.
The default data sets are rendered into data/generated/ when missing.

  --refiner         a method's run folder (its config.json names the method)
  --identity        refine = identity: reproduces the raw-synthetic baseline (sanity check)
  --out             where eval.json, refined/ and report.html go (default: the --refiner
                    run, or runs/eval-identity-<time> with --identity); they are replaced
                    only when the evaluation has finished, so a failed one changes nothing
  --synthetic       labelled synthetic training set (default ${DEFAULT_DATA.synthetic})
  --target-train    labelled target training set, for (c) only (default ${DEFAULT_DATA.targetTrain})
  --target-test     labelled target test set (default ${DEFAULT_DATA.targetTest})
  --real            unlabelled real images for realism (same image size; resize first)
  --synthetic-test  held-out labelled synthetic set, refined for label preservation
                    (default ${DEFAULT_DATA.syntheticTest} when --synthetic is the default
                    set, as in the training tasks; 'none': label preservation on the
                    training images only)
  --steps           estimator training steps (default ${ESTIMATOR_DEFAULTS.steps})
  --seed            estimator seed (default 0)
  --width           estimator width multiplier (default ${ESTIMATOR_DEFAULTS.widthMultiplier})
  --batch           estimator batch size (default ${ESTIMATOR_DEFAULTS.batchSize})
  --skip-*          leave out the upper bound (c), label preservation, KID, the classifier
  --kid-features    target: fc1 of estimator (c) (default); random: an untrained estimator
                    (default with --skip-upper-bound, which target contradicts)
  --classifier-steps  steps of the real-vs-refined classifier (default ${TURING_DEFAULTS.steps})
  --realism-limit   images per set for KID and the classifier (default ${REALISM_LIMIT_DEFAULT})
  --cache           cache of the (a) and (c) estimators (default ${DEFAULT_ESTIMATOR_CACHE})
  --no-cache        train (a) and (c) every time
  --no-report       do not write OUT/report.html
  --backend         auto (default), wasm, cpu, webgpu, tfjs-node, tfjs-node-gpu
  --quiet           no progress bars or log lines`;

const FLAGS = {
  refiner: { type: "string" },
  identity: { type: "boolean", default: false },
  out: { type: "string" },
  synthetic: { type: "string", default: DEFAULT_DATA.synthetic },
  "target-train": { type: "string", default: DEFAULT_DATA.targetTrain },
  "target-test": { type: "string", default: DEFAULT_DATA.targetTest },
  real: { type: "string" },
  "synthetic-test": { type: "string" },
  steps: { type: "string", default: String(ESTIMATOR_DEFAULTS.steps) },
  seed: { type: "string", default: "0" },
  width: { type: "string", default: String(ESTIMATOR_DEFAULTS.widthMultiplier) },
  batch: { type: "string", default: String(ESTIMATOR_DEFAULTS.batchSize) },
  "skip-upper-bound": { type: "boolean", default: false },
  "skip-label-preservation": { type: "boolean", default: false },
  "skip-kid": { type: "boolean", default: false },
  "skip-classifier": { type: "boolean", default: false },
  "kid-features": { type: "string" },
  "classifier-steps": { type: "string", default: String(TURING_DEFAULTS.steps) },
  "realism-limit": { type: "string", default: String(REALISM_LIMIT_DEFAULT) },
  cache: { type: "string", default: DEFAULT_ESTIMATOR_CACHE },
  "no-cache": { type: "boolean", default: false },
  "no-report": { type: "boolean", default: false },
  backend: { type: "string", default: "auto" },
  quiet: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

/**
 * The held-out synthetic set of label preservation: the flag's folder; `none` for none; absent,
 * the default held-out set when the synthetic set is the default one (as the training tasks do,
 * so re-evaluating a run measures label preservation on the same images), else none.
 */
export function syntheticTestDir(synthetic: string, flag: unknown): string | undefined {
  if (typeof flag === "string" && flag !== "") return flag === "none" ? undefined : flag;
  return synthetic === DEFAULT_DATA.synthetic ? DEFAULT_DATA.syntheticTest : undefined;
}

/** Runs the task for `argv`; returns the exit code (errors are thrown for {@link runTask}). */
export async function main(argv: string[]): Promise<number> {
  const { values: v } = parseFlags(argv, FLAGS);
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const runDir = refinerRunFlag(v);
  const kidFeatures = v["kid-features"];
  if (kidFeatures !== undefined && kidFeatures !== "target" && kidFeatures !== "random") {
    throw new UsageError(`--kid-features must be target or random, got '${kidFeatures}'`);
  }
  if (kidFeatures === "target" && v["skip-upper-bound"] === true && v["skip-kid"] !== true) {
    throw new UsageError(
      "--kid-features target takes KID's features from estimator (c), which " +
        "--skip-upper-bound leaves out: use --kid-features random, or --skip-kid",
    );
  }
  if (v["no-cache"] && argv.some((a) => a === "--cache" || a.startsWith("--cache="))) {
    throw new UsageError("--cache and --no-cache contradict each other");
  }
  const estimator = {
    steps: intFlag("steps", v.steps),
    seed: intFlag("seed", v.seed, 0, 0xffffffff),
    widthMultiplier: numberFlag("width", v.width),
    batchSize: intFlag("batch", v.batch),
  };
  const classifierSteps = intFlag("classifier-steps", v["classifier-steps"]);
  const realismLimit = intFlag("realism-limit", v["realism-limit"], 4);
  const out = typeof v.out === "string" && v.out !== ""
    ? v.out
    : runDir ?? `runs/eval-identity-${timestamp(new Date())}`;
  const quiet = v.quiet === true;
  const str = (x: unknown) => (typeof x === "string" && x !== "" ? x : undefined);

  const command = ["deno task eval-gaze", ...argv].join(" ");
  const data = {
    synthetic: String(v.synthetic),
    targetTrain: String(v["target-train"]),
    targetTest: String(v["target-test"]),
    real: str(v.real),
    syntheticTest: syntheticTestDir(String(v.synthetic), v["synthetic-test"]),
  };

  const backend = await initBackend({
    backend: parsedFlag("backend", v.backend, parseBackendName),
  });
  if (!quiet) console.error(formatBackendReport(backend));
  // The default data sets among these are rendered when missing; other folders are read as
  // given (the protocol names a missing one).
  await ensureDefaultData(
    [data.synthetic, data.targetTrain, data.targetTest, data.syntheticTest, data.real].filter(
      (d): d is string => d !== undefined,
    ),
    { quiet, command },
  );
  const refiner: Refiner = runDir !== undefined
    ? await loadRefinerFromRun(runDir)
    : identityRefiner();
  try {
    const result = await runGazeProtocol(refiner, {
      runDir: out,
      data,
      estimator,
      skip: {
        upperBound: v["skip-upper-bound"] === true,
        labelPreservation: v["skip-label-preservation"] === true,
        kid: v["skip-kid"] === true,
        classifier: v["skip-classifier"] === true,
      },
      kidFeatures,
      turing: { steps: classifierSteps },
      realismLimit,
      cacheDir: v["no-cache"] ? false : String(v.cache),
      quiet,
      command,
      backend: { name: backend.name, device: backend.device, versions: backend.versions },
    });
    console.log(formatEvalSummary(result));
    console.log(`\nwrote ${out}/eval.json in ${result.seconds.toFixed(0)} s`);
  } finally {
    refiner.dispose?.();
  }
  if (!v["no-report"]) {
    // a run folder's report keeps its method's sections (rebuilt from its checkpoint); if they
    // cannot be, the report is written without them and the note says why
    const { path, note } = await writeRunReportWithMethodSections(out);
    if (note) console.error(note);
    console.log(`wrote ${path}`);
  }
  return 0;
}

if (import.meta.main) {
  await runTask("eval-gaze", USAGE, () => main(Deno.args));
}
