/**
 * `deno task eval-pairs`: the paired metrics (`lib/eval/paired.ts`) of any run's translator on
 * held-out pairs: L1, PSNR and SSIM of G(x) against the ground-truth twins, for pix2pix
 * (`twins` or `maps`), CycleGAN, GazeGAN and SimGAN runs alike (synthetic render in, compared
 * with its target-domain twin), so they can be compared on the same pairs. Writes
 * `OUT/paired_eval.json` and prints the table.
 *
 * ```sh
 * deno task eval-pairs --refiner runs/pix2pix-20261201-101500
 * deno task eval-pairs --refiner runs/cyclegan-quick-seed0 --limit 500
 * deno task eval-pairs --identity --out runs/pairs-identity    # raw renders vs their twins
 * ```
 *
 * `--refiner RUN` reads the method from `RUN/config.json` and loads its translator (pix2pix's
 * own loader, else the method's refiner from `registerRefinerLoader`). The default paired test
 * set is rendered when missing.
 *
 * `--out` defaults to the run folder, whose `paired_eval.json` may be the one written at training
 * time: a file made with other settings (paired set, number of pairs, translator, run or step)
 * is not replaced unless `--force` is given; write elsewhere with `--out DIR`. A file made with
 * the same settings is replaced (the same result). The file is written atomically.
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
import { DEFAULT_DATA, ensureDefaultData } from "../lib/data/defaults.ts";
import {
  checkPairedEvalTarget,
  formatPairedSummary,
  loadPairedTranslator,
  PAIRED_EVAL_FILE,
  type PairedTranslator,
  plannedPairedEvalSettings,
  refinerTranslator,
  runPairedEval,
} from "../lib/eval/paired.ts";
import { identityRefiner, refinerRunFlag } from "../lib/eval/refiner.ts";
import { timestamp } from "../lib/train/run.ts";
import { intFlag, parsedFlag, parseFlags, runTask, UsageError } from "../lib/util/cli.ts";

export const USAGE =
  `Usage: deno task eval-pairs (--refiner RUN | --identity) [--paired DIR] [--out DIR]
       [--limit N] [--force] [--backend NAME] [--quiet]

Translates the inputs of a held-out paired data set with a run's G (synthetic renders, or
semantic maps for a pix2pix maps run), compares the outputs with the ground-truth twins
(L1 on the [-1, 1] scale, PSNR, SSIM; outputs quantised to 8 bits first) and writes
OUT/paired_eval.json. With a synthetic input, the raw renders are scored too (identity).

  --refiner   a method's run folder (its config.json names the method)
  --identity  G = identity: the raw synthetic renders against their twins
  --paired    paired data set (default ${DEFAULT_DATA.pairedTest}, rendered when missing)
  --out       folder of paired_eval.json (default: the --refiner run, or
              runs/eval-pairs-identity-<time> with --identity)
  --limit     evaluate the first N pairs only (default all)
  --force     replace OUT/paired_eval.json even if it was made with other settings (paired
              set, number of pairs, translator, run or step); without it such a file, e.g.
              the run's own from training, is kept and the task stops
  --backend   auto (default), wasm, cpu, webgpu, tfjs-node, tfjs-node-gpu
  --quiet     no progress bars or log lines`;

const FLAGS = {
  refiner: { type: "string" },
  identity: { type: "boolean", default: false },
  paired: { type: "string", default: DEFAULT_DATA.pairedTest },
  out: { type: "string" },
  limit: { type: "string" },
  force: { type: "boolean", default: false },
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
  await ensureDefaultData([paired], { quiet, command });
  const translator: PairedTranslator = runDir !== undefined
    ? await loadPairedTranslator(runDir)
    : refinerTranslator(identityRefiner());
  try {
    const path = `${out}/${PAIRED_EVAL_FILE}`;
    // the run's own file (written at training time) is not replaced by other settings' result
    await checkPairedEvalTarget(
      path,
      await plannedPairedEvalSettings(translator, { paired, limit }),
      { force: v.force === true },
    );
    await Deno.mkdir(out, { recursive: true });
    const file = await runPairedEval(translator, { paired, out: path, limit, quiet, command });
    console.log(formatPairedSummary(file));
    console.log(`\nwrote ${path} in ${file.seconds.toFixed(0)} s`);
  } finally {
    translator.dispose?.();
  }
  return 0;
}

if (import.meta.main) {
  await runTask("eval-pairs", USAGE, () => main(Deno.args));
}
