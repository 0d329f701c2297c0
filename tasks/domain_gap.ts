/**
 * `deno task domain-gap`: measures the synthetic-to-target domain gap with the gaze estimator
 * (see `lib/gaze/gap.ts`) and writes `OUT/gap.json` and `OUT/gap.md`; prints the markdown
 * table. `--samples DIR` instead writes the sample sheets of both domains as PNG files.
 *
 * ```sh
 * deno task domain-gap --seeds 0,1,2     # 10,000/1,000 images per domain, 1,500 steps, 3 seeds
 * deno task domain-gap --n-train 2000 --n-test 200 --steps 200 --seeds 0 --out runs/gap-quick
 * deno task domain-gap --samples data/samples
 * ```
 *
 * @module
 */
import { formatBackendReport, initBackend, parseBackendName } from "../lib/backend/mod.ts";
import { GAP_DEFAULTS, gapMarkdownTable, measureDomainGap } from "../lib/gaze/gap.ts";
import { writeDomainSamples } from "../lib/data/samples.ts";
import { ESTIMATOR_DEFAULTS } from "../lib/gaze/estimator.ts";
import {
  intFlag,
  numberFlag,
  parsedFlag,
  parseFlags,
  runTask,
  seedsFlag,
  UsageError,
} from "../lib/util/cli.ts";

const USAGE = `Usage: deno task domain-gap [--n-train N] [--n-test N] [--steps N] [--seeds 0,1,2]
       [--out DIR] [--data-dir DIR] [--data-seed S] [--batch N] [--width X] [--lr X]
       [--backend NAME] [--quiet]
       deno task domain-gap --samples DIR

Trains the gaze estimator on synthetic and on target-domain ("real") images (same config,
steps and seed) for each seed and tests both on both test sets:
  a: synthetic -> synthetic test   b: synthetic -> target test
  c: target -> target test         d: target -> synthetic test
Writes OUT/gap.json (per seed, mean +- std over seeds, ratio b/a) and OUT/gap.md after
every seed ("complete": false until the last one), so a failure keeps the finished seeds.

  --n-train    training images per domain (default ${GAP_DEFAULTS.nTrain})
  --n-test     test images per domain (default ${GAP_DEFAULTS.nTest})
  --steps      training steps of every estimator (default ${GAP_DEFAULTS.steps})
  --seeds      comma-separated estimator seeds (default ${GAP_DEFAULTS.seeds.join(",")})
  --out        run folder (default runs/domain-gap)
  --data-dir   where the data sets are generated, or reused when present and matching
               (default ${GAP_DEFAULTS.dataDir})
  --data-seed  seed of the data sets (default ${GAP_DEFAULTS.dataSeed})
  --batch      batch size (default ${ESTIMATOR_DEFAULTS.batchSize})
  --width      width multiplier of the estimator (default ${ESTIMATOR_DEFAULTS.widthMultiplier})
  --lr         Adam learning rate (default ${ESTIMATOR_DEFAULTS.learningRate})
  --backend    auto (default), wasm, cpu, webgpu, tfjs-node, tfjs-node-gpu
  --samples    write sample sheets of both domains (PNG) into DIR and exit
  --quiet      no progress bars`;

const FLAGS = {
  "n-train": { type: "string", default: String(GAP_DEFAULTS.nTrain) },
  "n-test": { type: "string", default: String(GAP_DEFAULTS.nTest) },
  steps: { type: "string", default: String(GAP_DEFAULTS.steps) },
  seeds: { type: "string", default: GAP_DEFAULTS.seeds.join(",") },
  out: { type: "string", default: "runs/domain-gap" },
  "data-dir": { type: "string", default: GAP_DEFAULTS.dataDir },
  "data-seed": { type: "string", default: String(GAP_DEFAULTS.dataSeed) },
  batch: { type: "string", default: String(ESTIMATOR_DEFAULTS.batchSize) },
  width: { type: "string", default: String(ESTIMATOR_DEFAULTS.widthMultiplier) },
  lr: { type: "string", default: String(ESTIMATOR_DEFAULTS.learningRate) },
  backend: { type: "string", default: "auto" },
  samples: { type: "string" },
  quiet: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

/** Parses `--seeds 0,1,2` into distinct non-negative integers. */
export function parseSeeds(value: unknown): number[] {
  return seedsFlag(value, { repeated: (v) => `--seeds must be distinct, got '${v}'` });
}

/** Runs the task for `argv`; returns the exit code (errors are thrown for {@link runTask}). */
export async function main(argv: string[]): Promise<number> {
  const { values: v } = parseFlags(argv, FLAGS);
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  if (typeof v.samples === "string") {
    if (v.samples === "") throw new UsageError("--samples needs a directory");
    for (const f of await writeDomainSamples(v.samples)) {
      console.log(`wrote ${f.path} (${(f.bytes / 1024).toFixed(0)} KiB)`);
    }
    return 0;
  }
  const nTrain = intFlag("n-train", v["n-train"]);
  const nTest = intFlag("n-test", v["n-test"]);
  const steps = intFlag("steps", v.steps);
  const seeds = parseSeeds(v.seeds);
  const estimator = {
    batchSize: intFlag("batch", v.batch),
    widthMultiplier: numberFlag("width", v.width),
    learningRate: numberFlag("lr", v.lr),
  };
  const quiet = v.quiet === true;
  const report = await initBackend({ backend: parsedFlag("backend", v.backend, parseBackendName) });
  if (!quiet) console.error(formatBackendReport(report));
  const result = await measureDomainGap({
    nTrain,
    nTest,
    steps,
    seeds,
    dataSeed: intFlag("data-seed", v["data-seed"], 0, 0xffffffff),
    dataDir: String(v["data-dir"]),
    out: String(v.out),
    estimator,
    quiet,
    command: ["deno task domain-gap", ...argv].join(" "),
    backend: { name: report.name, device: report.device, versions: report.versions },
  });
  console.log(gapMarkdownTable(result));
  console.log(`\nwrote ${v.out}/gap.json and ${v.out}/gap.md in ${result.seconds.toFixed(0)} s`);
  return 0;
}

if (import.meta.main) {
  await runTask("domain-gap", USAGE, () => main(Deno.args));
}
