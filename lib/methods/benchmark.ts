/**
 * `deno task benchmark-methods` as a library call: trains and evaluates every method on the same
 * data with the same seeds and the same evaluation settings, then builds the results table over
 * seeds (`lib/report/seed_table.ts`) and hands the runs to the comparison report.
 *
 * Each (method, seed) has a fixed run folder, `RUNS/<method>-<preset>-seed<S>` (e.g.
 * `runs/gazegan-quick-seed1`), trained with the method's own task and the flags
 * `--preset P --seed S --eval.seed S --out DIR` (plus the method's fixed flags, e.g. pix2pix's
 * `--pairs twins`). So the table is reproducible run by run with the method's own command, and
 * a benchmark that stopped (Ctrl-C, a crash, a full disk) continues where it left off:
 * - a folder whose `eval.json` belongs to a finished run with the expected method, preset and
 *   seed is **reused**;
 * - a folder with a checkpoint but no finished evaluation is **resumed** (`--resume DIR`);
 * - a missing folder is **trained**;
 * - anything else (a folder of another method, preset or seed, or one without a checkpoint) is an
 *   error naming the folder, and nothing in it is touched.
 *
 * The raw-synthetic baseline is row (a) of every evaluation (it is the same estimator for all
 * runs of one seed, taken from the estimator cache), the target-domain upper bound row (c).
 *
 * @module
 */
import { type GazeEvalFile, readGazeEval } from "../eval/eval_file.ts";
import { type SeedRun, type SeedTable, seedTable } from "../report/seed_table.ts";
import { readRunConfig } from "../train/run.ts";
import { exists } from "../util/fs.ts";
import { trainCycleGAN } from "./cyclegan/train.ts";
import { trainGazeGAN } from "./gazegan/train.ts";
import { trainPix2Pix } from "./pix2pix/train.ts";
import { trainSimGAN, type TrainSimGANOptions } from "./simgan/train.ts";

/** What a method's training task returns (the fields the benchmark uses). */
export interface TaskOutcome {
  exitCode: number;
  runDir: string;
  eval?: GazeEvalFile;
}

/** A method the benchmark can run. */
export interface BenchmarkMethod {
  /** Its name on the command line and in run folder names (`simgan`, `pix2pix-twins`). */
  key: string;
  /** Its name in the table. */
  title: string;
  /** `method` in the run's `config.json`. */
  configMethod: string;
  /** Flags always passed (e.g. `--pairs twins`). */
  fixedFlags: readonly string[];
  /** The training task. */
  train: (argv: readonly string[], options: TrainSimGANOptions) => Promise<TaskOutcome | undefined>;
}

const registry = new Map<string, BenchmarkMethod>();

/** Adds (or replaces) a method of the benchmark. */
export function registerBenchmarkMethod(m: BenchmarkMethod): void {
  registry.set(m.key, m);
}

/** The registered methods, in registration order. */
export function benchmarkMethods(): BenchmarkMethod[] {
  return [...registry.values()];
}

registerBenchmarkMethod({
  key: "simgan",
  title: "SimGAN",
  configMethod: "simgan",
  fixedFlags: [],
  train: trainSimGAN,
});
registerBenchmarkMethod({
  key: "cyclegan",
  title: "CycleGAN",
  configMethod: "cyclegan",
  fixedFlags: [],
  train: trainCycleGAN,
});
registerBenchmarkMethod({
  key: "gazegan",
  title: "GazeGAN",
  configMethod: "gazegan",
  fixedFlags: [],
  train: trainGazeGAN,
});
// pix2pix needs pairs: on `twins` (synthetic render -> its target-domain twin) its G refines
// synthetic images, so the gaze protocol applies as to the unpaired methods.
registerBenchmarkMethod({
  key: "pix2pix-twins",
  title: "pix2pix (twins)",
  configMethod: "pix2pix",
  fixedFlags: ["--pairs", "twins"],
  train: trainPix2Pix,
});

/** What the benchmark does with one (method, seed). */
export interface PlannedRun {
  method: BenchmarkMethod;
  seed: number;
  /** The run folder. */
  dir: string;
  /** `reuse` a finished run, `resume` an unfinished one, `train` a new one. */
  action: "reuse" | "resume" | "train";
  /** Why (for the log). */
  reason: string;
}

/** Options of {@link planBenchmark} and {@link runBenchmark}. */
export interface BenchmarkOptions {
  /** Preset of every run (default `quick`). */
  preset?: string;
  /** Seeds (default 0, 1, 2). */
  seeds?: readonly number[];
  /** Method keys (default: all registered). */
  methods?: readonly string[];
  /** Folder of the run folders (default `runs`). */
  runsDir?: string;
  /** Flags added to every training command (e.g. `--backend wasm`). */
  extraFlags?: readonly string[];
  /**
   * Train and resume nothing: build the table from the finished runs only, and list the others
   * as skipped (for a table over what exists while runs are missing).
   */
  noTrain?: boolean;
}

/** The run folder of one (method, seed). */
export function benchmarkRunDir(
  runsDir: string,
  key: string,
  preset: string,
  seed: number,
): string {
  return `${runsDir.replace(/\/+$/, "") || "."}/${key}-${preset}-seed${seed}`;
}

/** Resolves method keys, with a clear error for unknown ones. */
export function resolveMethods(keys?: readonly string[]): BenchmarkMethod[] {
  if (!keys) return benchmarkMethods();
  return keys.map((k) => {
    const m = registry.get(k);
    if (!m) {
      throw new RangeError(
        `unknown method '${k}'; use some of ${[...registry.keys()].join(", ")}`,
      );
    }
    return m;
  });
}

/** Decides, for one folder, whether to reuse, resume or train (see the module documentation). */
async function planOne(
  method: BenchmarkMethod,
  seed: number,
  dir: string,
  preset: string,
): Promise<PlannedRun> {
  const base = { method, seed, dir };
  if (!(await exists(dir))) return { ...base, action: "train", reason: "new run" };
  let config;
  try {
    config = await readRunConfig(dir);
  } catch (e) {
    throw new Error(
      `${dir} exists but is not a readable run folder (${(e as Error).message}); move it away ` +
        `or choose another --runs folder`,
    );
  }
  const want = { method: method.configMethod, preset, seed };
  const got = { method: config.method, preset: config.preset, seed: config.seed };
  if (got.method !== want.method || got.preset !== want.preset || got.seed !== want.seed) {
    throw new Error(
      `${dir} holds a ${got.method} run (preset ${got.preset}, seed ${got.seed}), not ` +
        `${want.method} / ${want.preset} / seed ${want.seed}; move it away or choose another ` +
        `--runs folder`,
    );
  }
  // The method's fixed flags (`--pairs twins`) must be what the folder's run was trained with.
  const values = config.values as Record<string, unknown>;
  for (let i = 0; i + 1 < method.fixedFlags.length; i += 2) {
    const key = method.fixedFlags[i].replace(/^--/, "");
    const want = method.fixedFlags[i + 1];
    if (String(values[key]) !== want) {
      throw new Error(
        `${dir} holds a run with ${key} = ${JSON.stringify(values[key])}, not ${want}; move ` +
          `it away or choose another --runs folder`,
      );
    }
  }
  const steps = (config.values as { steps?: number }).steps;
  if (await exists(`${dir}/eval.json`)) {
    const ev = await readGazeEval(`${dir}/eval.json`);
    const step = (ev.refiner.source as { step?: number } | null)?.step;
    if (ev.estimator.seed !== seed) {
      throw new Error(
        `${dir}/eval.json was made with estimator seed ${ev.estimator.seed}, not ${seed}; ` +
          `re-evaluate it with deno task eval-gaze --refiner ${dir} --seed ${seed}`,
      );
    }
    if (step === undefined || step === steps) {
      return { ...base, action: "reuse", reason: `finished (step ${steps}) and evaluated` };
    }
  }
  if (await exists(`${dir}/checkpoints/latest.safetensors`)) {
    return { ...base, action: "resume", reason: "unfinished: resumed from its checkpoint" };
  }
  throw new Error(
    `${dir} has neither an evaluation of its last step nor a checkpoint to resume; move it ` +
      `away or choose another --runs folder`,
  );
}

/** The plan: one entry per method and seed, in method order then seed order. */
export async function planBenchmark(options: BenchmarkOptions = {}): Promise<PlannedRun[]> {
  const preset = options.preset ?? "quick";
  const seeds = options.seeds ?? [0, 1, 2];
  const runsDir = options.runsDir ?? "runs";
  const out: PlannedRun[] = [];
  for (const m of resolveMethods(options.methods)) {
    for (const s of seeds) {
      out.push(await planOne(m, s, benchmarkRunDir(runsDir, m.key, preset, s), preset));
    }
  }
  return out;
}

/** The training command's flags of a planned run. */
export function plannedArgs(
  p: PlannedRun,
  preset: string,
  extra: readonly string[] = [],
): string[] {
  if (p.action === "resume") return ["--resume", p.dir, ...extra];
  return [
    ...p.method.fixedFlags,
    "--preset",
    preset,
    "--seed",
    String(p.seed),
    "--eval.seed",
    String(p.seed),
    "--out",
    p.dir,
    ...extra,
  ];
}

/** What {@link runBenchmark} produced. */
export interface BenchmarkResult {
  /** 0 every run evaluated, 130 interrupted, 1 some run failed or was not evaluated. */
  exitCode: 0 | 1 | 130;
  plan: PlannedRun[];
  /** The evaluated runs. */
  runs: SeedRun[];
  /** (method key, seed, message) of the runs that failed. */
  failures: { key: string; seed: number; message: string }[];
  /** The planned runs left out by `noTrain`. */
  skipped: PlannedRun[];
  /** The table over the evaluated runs (absent when none). */
  table?: SeedTable;
}

/**
 * Runs the plan in order (see the module documentation) and builds the table. A failing run is
 * reported and the benchmark goes on with the next; an interrupted one (Ctrl-C) stops it.
 */
export async function runBenchmark(
  options: BenchmarkOptions & TrainSimGANOptions = {},
): Promise<BenchmarkResult> {
  const print = options.print ?? ((m: string) => console.error(m));
  const preset = options.preset ?? "quick";
  const plan = await planBenchmark(options);
  const runs: SeedRun[] = [];
  const failures: BenchmarkResult["failures"] = [];
  const skipped: PlannedRun[] = [];
  let interrupted = false;
  for (const [i, p] of plan.entries()) {
    const head = `[${i + 1}/${plan.length}] ${p.method.title} seed ${p.seed} (${p.dir})`;
    if (interrupted) break;
    if (options.noTrain && p.action !== "reuse") {
      print(`${head}: skipped (${p.reason}; --no-train)`);
      skipped.push(p);
      continue;
    }
    try {
      if (p.action !== "reuse") {
        const argv = plannedArgs(p, preset, options.extraFlags);
        print(`${head}: ${p.reason}: ${argv.join(" ")}`);
        const r = await p.method.train(argv, options);
        if (r?.exitCode === 130) {
          interrupted = true;
          print(`${head}: interrupted; run the benchmark again to resume it`);
          break;
        }
      } else {
        print(`${head}: ${p.reason}`);
      }
      const ev = await readGazeEval(`${p.dir}/eval.json`);
      runs.push({ method: p.method.title, seed: p.seed, eval: ev, runDir: p.dir });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      failures.push({ key: p.method.key, seed: p.seed, message });
      print(`${head}: FAILED: ${message}`);
    }
  }
  const table = runs.length > 0 ? seedTable(runs) : undefined;
  const exitCode = interrupted
    ? 130
    : failures.length > 0 || runs.length + skipped.length < plan.length
    ? 1
    : 0;
  return { exitCode, plan, runs, failures, skipped, table };
}
