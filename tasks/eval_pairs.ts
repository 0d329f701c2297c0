/**
 * `deno task eval-pairs`: the paired metrics (`lib/eval/paired.ts`) of any run's translator on
 * held-out pairs: L1, PSNR and SSIM of G(x) against the ground-truth twins, for pix2pix
 * (`twins` or `maps`), CycleGAN, GazeGAN and SimGAN runs alike (synthetic render in, compared
 * with its target-domain twin), so they can be compared on the same pairs; and the
 * segmentation score (pix2pix's FCN-score, `lib/eval/segmentation.ts`): per-pixel accuracy,
 * per-class accuracy and class IoU of a segmenter S applied to G(x) against the pairs' class
 * maps, with S on the twins (its own error) and on the raw renders as references. S is trained
 * on the paired training set's twins (`--seg-train`, about a minute) or loaded from its cache
 * (`runs/.cache/segmenters`). And the realism score: the held-out accuracy of a small
 * real-vs-G(x) CNN (`lib/eval/turing.ts`) with the pairs' ground-truth twins as the real side,
 * and of one against the raw renders as the floor (50% = indistinguishable; split by pair, so
 * no held-out eye is trained on). Writes `OUT/paired_eval.json` and prints the tables; when OUT
 * is a run folder (the default: the `--refiner` run), rewrites `RUN/report.html` too (unless
 * `--no-report`).
 *
 * ```sh
 * deno task eval-pairs --refiner runs/pix2pix-20261201-101500
 * deno task eval-pairs --refiner runs/cyclegan-quick-seed0 --limit 500
 * deno task eval-pairs --identity --out runs/pairs-identity    # raw renders vs their twins
 * deno task eval-pairs --refiner runs/simgan-quick-seed0 --no-segmentation --no-realism
 *                                                                   # pixel metrics only
 * ```
 *
 * `--refiner RUN` reads the method from `RUN/config.json` and loads its translator (pix2pix's
 * own loader, else the method's refiner from `registerRefinerLoader`). The default paired test
 * set is rendered when missing.
 *
 * `--out` defaults to the run folder, whose `paired_eval.json` may be the one written at training
 * time: a file made with other settings (paired set, number of pairs, translator, run or step)
 * is not replaced unless `--force` is given; write elsewhere with `--out DIR`. A file made with
 * the same settings is replaced (the same result). The segmenter (its training set, steps,
 * backend: its cache key) is one of the settings, except that a file without a segmentation
 * score (as training writes it) may be replaced by the same evaluation with one. The realism
 * classifier's settings (`--realism-steps`, and the fixed rest of `TURING_DEFAULTS`) follow the
 * same rule: a file without a realism score may gain one; a file with one is not replaced by an
 * evaluation without it (`--no-realism`) or with other settings unless `--force`. The file is
 * written atomically.
 *
 * The report: when `--refiner RUN` wrote into a run folder (one with a `config.json`, as the
 * default `--out` is), `RUN/report.html` is rewritten as `deno task eval-gaze` does
 * (`writeRunReportWithMethodSections`: the method's own sections rebuilt from the run's
 * checkpoint, a note if they cannot be), and it shows the paired section (pixel metrics,
 * segmentation and realism scores, `lib/report/paired_section.ts`). `--identity` and an `--out`
 * that is not a run folder get no report. `--no-report` skips it.
 *
 * Comparing methods: generated paired sets draw their parameters from the target domain's
 * distribution (`REAL_SHAPES`, recorded as `data.parameters`), pix2pix's own training
 * distribution, while SimGAN, CycleGAN and GazeGAN were trained on renders drawn from
 * `SYNTHETIC_SHAPES` (other gaze and head-pose ranges, lid openness, iris sizes and colours,
 * framing, skin tones, lighting). Their scores here are partly out of their training
 * distribution; see `docs/pix2pix.md` ("Comparison on the same held-out twins").
 *
 * @module
 */
import { formatBackendReport, initBackend, parseBackendName } from "../lib/backend/mod.ts";
import {
  DEFAULT_DATA,
  DEFAULT_DATA_BY_SIZE,
  defaultDataSet,
  ensureDefaultData,
} from "../lib/data/defaults.ts";
import {
  checkPairedEvalTarget,
  formatPairedSummary,
  loadPairedTranslator,
  PAIRED_EVAL_FILE,
  type PairedTranslator,
  plannedPairedEvalSettings,
  refinerTranslator,
  runPairedEval,
  segmenterRecord,
} from "../lib/eval/paired.ts";
import { identityRefiner, refinerRunFlag } from "../lib/eval/refiner.ts";
import {
  DEFAULT_SEGMENTER_CACHE,
  obtainSegmenter,
  SEGMENTER_DEFAULTS,
  segmenterCacheKey,
  type SegmenterConfig,
} from "../lib/eval/segmentation.ts";
import { TURING_DEFAULTS, type TuringConfig } from "../lib/eval/turing.ts";
import { Dataset } from "../lib/data/dataset.ts";
import { writeRunReportWithMethodSections } from "../lib/report/run_report_sections.ts";
import { runPaths, timestamp } from "../lib/train/run.ts";
import { intFlag, parsedFlag, parseFlags, runTask, UsageError } from "../lib/util/cli.ts";

export const USAGE =
  `Usage: deno task eval-pairs (--refiner RUN | --identity) [--paired DIR] [--out DIR]
       [--limit N] [--force] [--seg-train DIR] [--seg-steps N] [--seg-cache DIR]
       [--no-segmentation] [--realism-steps N] [--no-realism] [--no-report] [--backend NAME]
       [--quiet]

Translates the inputs of a held-out paired data set with a run's G (synthetic renders, or
semantic maps for a pix2pix maps run), compares the outputs with the ground-truth twins
(L1 on the [-1, 1] scale, PSNR, SSIM; outputs quantised to 8 bits first) and writes
OUT/paired_eval.json. With a synthetic input, the raw renders are scored too (identity).
Segmentation score (pix2pix's FCN-score): a segmenter S trained on target-domain twins
segments G(x), the twins and the raw renders; per-pixel accuracy, per-class accuracy and
class IoU against the pairs' class maps. Realism score: held-out accuracy of a small CNN
trained to tell the twins (real) from G(x) of the same pairs, and from the raw renders
(50% = indistinguishable; both sides split by pair, seed ${TURING_DEFAULTS.seed}).
When OUT is a run folder (the default with --refiner), its report.html is rewritten with
the method's own sections and the paired metrics.

  --refiner   a method's run folder (its config.json names the method)
  --identity  G = identity: the raw synthetic renders against their twins
  --paired    paired data set (default ${DEFAULT_DATA.pairedTest}, rendered when missing)
  --out       folder of paired_eval.json (default: the --refiner run, or
              runs/eval-pairs-identity-<time> with --identity)
  --limit     evaluate the first N pairs only (default all)
  --force     replace OUT/paired_eval.json even if it was made with other settings (paired
              set, number of pairs, translator, run or step, segmenter, realism settings);
              without it such a file, e.g. the run's own from training, is kept and the task
              stops (a file without a segmentation or realism score may be replaced by the
              same evaluation with one)
  --seg-train paired training set of the segmenter (default: the default paired training
              set of the --paired set's size, ${DEFAULT_DATA.pairedTrain} at 36x60;
              rendered when missing)
  --seg-steps the segmenter's training steps (default ${SEGMENTER_DEFAULTS.steps})
  --seg-cache cache folder of trained segmenters (default ${DEFAULT_SEGMENTER_CACHE}; none: no
              cache)
  --no-segmentation  skip the segmentation score
  --realism-steps the realism classifier's training steps (default ${TURING_DEFAULTS.steps})
  --no-realism  skip the realism score
  --no-report do not rewrite RUN/report.html (written only when OUT is a run folder with
              config.json, e.g. the default --out of --refiner; never with --identity)
  --backend   auto (default), wasm, cpu, webgpu, tfjs-node, tfjs-node-gpu
  --quiet     no progress bars or log lines`;

const FLAGS = {
  refiner: { type: "string" },
  identity: { type: "boolean", default: false },
  paired: { type: "string", default: DEFAULT_DATA.pairedTest },
  out: { type: "string" },
  limit: { type: "string" },
  force: { type: "boolean", default: false },
  "seg-train": { type: "string" },
  "seg-steps": { type: "string" },
  "seg-cache": { type: "string", default: DEFAULT_SEGMENTER_CACHE },
  "no-segmentation": { type: "boolean", default: false },
  "realism-steps": { type: "string" },
  "no-realism": { type: "boolean", default: false },
  "no-report": { type: "boolean", default: false },
  backend: { type: "string", default: "auto" },
  quiet: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

/** Runs the task for `argv`; returns the exit code (errors are thrown for {@link runTask}). */
export async function main(argv: string[]): Promise<number> {
  const { values: v } = parseFlags(argv, FLAGS);
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const runDir = refinerRunFlag(v);
  const paired = String(v.paired);
  if (paired === "") throw new UsageError("--paired needs a data set folder");
  const limit = v.limit === undefined ? undefined : intFlag("limit", v.limit);
  const out = typeof v.out === "string" && v.out !== ""
    ? v.out
    : runDir ?? `runs/eval-pairs-identity-${timestamp(new Date())}`;
  const quiet = v.quiet === true;
  const command = ["deno task eval-pairs", ...argv].join(" ");
  const backend = await initBackend({
    backend: parsedFlag("backend", String(v.backend), parseBackendName),
  });
  if (!quiet) console.error(formatBackendReport(backend));
  const segment = v["no-segmentation"] !== true;
  const segSteps = v["seg-steps"] === undefined ? undefined : intFlag("seg-steps", v["seg-steps"]);
  if (!segment && (v["seg-train"] !== undefined || segSteps !== undefined)) {
    throw new UsageError(
      "--seg-train and --seg-steps need the segmentation score; drop --no-segmentation",
    );
  }
  const realismSteps = v["realism-steps"] === undefined
    ? undefined
    : intFlag("realism-steps", v["realism-steps"]);
  if (realismSteps !== undefined && realismSteps < 1) {
    throw new UsageError(`--realism-steps must be at least 1, got ${realismSteps}`);
  }
  if (v["no-realism"] === true && realismSteps !== undefined) {
    throw new UsageError("--realism-steps needs the realism score; drop --no-realism");
  }
  const realism: Partial<TuringConfig> | undefined = v["no-realism"] === true
    ? undefined
    : realismSteps === undefined
    ? {}
    : { steps: realismSteps };
  const segTrain = typeof v["seg-train"] === "string" && v["seg-train"] !== ""
    ? v["seg-train"]
    : defaultSegmenterTrain(paired);
  const segCache = String(v["seg-cache"]);
  const segConfig: Partial<SegmenterConfig> = { steps: segSteps };
  await ensureDefaultData(segment ? [paired, segTrain] : [paired], { quiet, command });
  const translator: PairedTranslator = runDir !== undefined
    ? await loadPairedTranslator(runDir)
    : refinerTranslator(identityRefiner());
  const segDs = segment ? await Dataset.open(segTrain) : undefined;
  let seg: Awaited<ReturnType<typeof obtainSegmenter>> | undefined;
  try {
    const path = `${out}/${PAIRED_EVAL_FILE}`;
    const segKey = segDs ? await segmenterCacheKey(segDs, segConfig) : null;
    // the run's own file (written at training time) is not replaced by other settings' result
    await checkPairedEvalTarget(
      path,
      await plannedPairedEvalSettings(translator, { paired, limit, segmenter: segKey, realism }),
      { force: v.force === true },
    );
    if (segDs) {
      seg = await obtainSegmenter(segDs, {
        config: segConfig,
        cacheDir: segCache === "" || segCache === "none" ? false : segCache,
        label: "segmenter",
        quiet,
      });
    }
    await Deno.mkdir(out, { recursive: true });
    const file = await runPairedEval(translator, {
      paired,
      out: path,
      limit,
      quiet,
      command,
      ...(realism ? { realism } : {}),
      ...(seg && segDs
        ? {
          segmenter: seg.seg,
          segmenterRecord: segmenterRecord(seg, {
            path: segTrain,
            count: segDs.count,
            key: segKey!,
          }),
        }
        : {}),
    });
    console.log(formatPairedSummary(file));
    console.log(`\nwrote ${path} in ${file.seconds.toFixed(0)} s`);
  } finally {
    seg?.seg.net.dispose();
    segDs?.close();
    translator.dispose?.();
  }
  if (!v["no-report"] && runDir !== undefined && await isRunFolder(out)) {
    // as eval-gaze: the run's report keeps its method's sections (rebuilt from its checkpoint)
    // and now shows the paired section; if the sections cannot be rebuilt, the report is
    // written without them and the note says why
    const { path, note } = await writeRunReportWithMethodSections(out);
    if (note) console.error(note);
    console.log(`wrote ${path}`);
  }
  return 0;
}

/** Whether `dir` is a run folder (it holds a `config.json`). */
async function isRunFolder(dir: string): Promise<boolean> {
  return await Deno.stat(runPaths(dir).config).then((s) => s.isFile, () => false);
}

/**
 * The segmenter's default training set: the default paired training set of the size of
 * `paired` when that is a default set (e.g. the 128x128x3 one for its test set), else the
 * 36x60 one.
 */
export function defaultSegmenterTrain(paired: string): string {
  const set = defaultDataSet(paired);
  return set ? DEFAULT_DATA_BY_SIZE[set.size].pairedTrain : DEFAULT_DATA.pairedTrain;
}

if (import.meta.main) {
  await runTask("eval-pairs", USAGE, () => main(Deno.args));
}
