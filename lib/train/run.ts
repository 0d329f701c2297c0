/**
 * Run folders: where one training run keeps everything it produces.
 *
 * ```text
 * runs/<method>-<YYYYmmdd-HHMMSS>/     (or --out DIR)
 *   config.json        resolved config: { format, method, preset, seed, values, non_default }
 *   env.json           backend report and why, Deno/tfjs versions, git commit, seed, command
 *                      line, start time; `resumes` lists every later --resume
 *   metrics.jsonl      one JSON object per logged step: { step, elapsed_s, <losses>, tensors }
 *   samples/           step-000200.png ... (writeSampleGrid)
 *   checkpoints/       latest.safetensors + step-000500.safetensors ... (checkpoint.ts)
 *   report.html        written by the report module (reserved path)
 * ```
 *
 * Every JSON file is written atomically (temporary file, then rename); `metrics.jsonl` is
 * appended one line per call and closed after each line, so a crash loses at most the line
 * being written. When a run is resumed from step N, lines with `step > N` (steps that will be
 * trained again) are removed first, so each step appears once.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { BackendReport } from "../backend/mod.ts";
import { imageGridPng, tensorToImages, tileImages } from "../image/grid.ts";
import type { GridOptions, PixelImage, ValueRange } from "../image/grid.ts";
import { encodePng } from "../image/io.ts";
import type { ResolvedConfig } from "./config.ts";
import { readJson, writeFileAtomic, writeJsonAtomic } from "../util/fs.ts";

// The atomic writers and the JSON reader live in `lib/util/fs.ts`; re-exported for callers of
// this module.
export { readJson, writeFileAtomic, writeJsonAtomic };

/** Format tag of `config.json`. */
export const RUN_CONFIG_FORMAT = "eyegan-run-config/1";
/** Format tag of `env.json`. */
export const RUN_ENV_FORMAT = "eyegan-run-env/1";

/** The files and folders of a run folder. */
export interface RunPaths {
  /** The run folder. */
  dir: string;
  /** `config.json`. */
  config: string;
  /** `env.json`. */
  env: string;
  /** `metrics.jsonl`. */
  metrics: string;
  /** `samples/`. */
  samples: string;
  /** `checkpoints/`. */
  checkpoints: string;
  /** `checkpoints/latest.safetensors`. */
  latestCheckpoint: string;
  /** `report.html` (written by the report module). */
  report: string;
}

/** The paths of the run folder `dir`. */
export function runPaths(dir: string): RunPaths {
  const d = dir.replace(/\/+$/, "") || "/";
  return {
    dir: d,
    config: `${d}/config.json`,
    env: `${d}/env.json`,
    metrics: `${d}/metrics.jsonl`,
    samples: `${d}/samples`,
    checkpoints: `${d}/checkpoints`,
    latestCheckpoint: `${d}/checkpoints/latest.safetensors`,
    report: `${d}/report.html`,
  };
}

/** An open run folder. */
export interface Run {
  /** Where everything goes. */
  readonly paths: RunPaths;
  /** The method's name. */
  readonly method: string;
  /** The run seed. */
  readonly seed: number;
  /** The resolved config (also in `config.json`). */
  readonly config: ResolvedConfig<object>;
}

/** `config.json` as written. */
export interface RunConfigFile {
  format: typeof RUN_CONFIG_FORMAT;
  method: string;
  preset: string;
  seed: number;
  values: Record<string, unknown>;
  non_default: Record<string, { value: unknown; default: unknown }>;
}

/** The git commit of the code, or why it is unknown. */
export type GitInfo =
  | { commit: string; dirty: boolean | "unknown" }
  | { commit: "unknown"; reason: string };

/** One start of a run: the first in `env.json`, later ones (resumes) in its `resumes`. */
export interface RunStart {
  /** ISO time. */
  started: string;
  /** Completed steps when this process started (0 for a new run). */
  step: number;
  /** What was asked for and chosen, and why (see `lib/backend/mod.ts`). */
  backend: BackendReport;
  /** The code's commit. */
  git: GitInfo;
  /** `deno task train-<method> ARGS` as typed, best effort. */
  command: string;
  /** The arguments exactly. */
  argv: string[];
  /** Entry module (`Deno.mainModule`). */
  main_module: string;
}

/** `env.json` as written. */
export interface RunEnvFile extends RunStart {
  format: typeof RUN_ENV_FORMAT;
  method: string;
  seed: number;
  versions: { deno: string; v8: string; typescript: string; tfjs: string };
  platform: { os: string; arch: string; cpus: number };
  /** Every later start with --resume. */
  resumes: RunStart[];
}

/** `YYYYmmdd-HHMMSS` in local time. */
export function timestamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-` +
    `${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** The default run folder of a method: `runs/<method>-<YYYYmmdd-HHMMSS>`. */
export function defaultRunDir(method: string, now: Date = new Date()): string {
  return `runs/${method}-${timestamp(now)}`;
}

/**
 * The commit of the code, by `git rev-parse HEAD` in the folder of this module (or the working
 * folder). Runs git only where `--allow-run` already permits it (never prompts).
 */
export async function gitInfo(): Promise<GitInfo> {
  let status: Deno.PermissionState;
  try {
    status = Deno.permissions.querySync({ name: "run", command: "git" }).state;
  } catch (e) {
    return {
      commit: "unknown",
      reason: `cannot query the run permission: ${(e as Error).message}`,
    };
  }
  if (status !== "granted") {
    return { commit: "unknown", reason: "git not run: --allow-run does not include git" };
  }
  const here = new URL(".", import.meta.url);
  const cwd = here.protocol === "file:" ? here : undefined;
  const git = async (args: string[]) => {
    const out = await new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "piped" })
      .output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr).trim().split("\n")[0]);
    return new TextDecoder().decode(out.stdout).trim();
  };
  try {
    const commit = await git(["rev-parse", "HEAD"]);
    let dirty: boolean | "unknown" = "unknown";
    try {
      dirty = (await git(["status", "--porcelain", "--untracked-files=no"])) !== "";
    } catch {
      // keep "unknown"
    }
    return { commit, dirty };
  } catch (e) {
    return { commit: "unknown", reason: `git rev-parse HEAD failed: ${(e as Error).message}` };
  }
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Options of {@link createRun} and {@link prepareResume}. */
export interface RunStartOptions {
  /** The backend in use. */
  backend: BackendReport;
  /** The task's arguments (`Deno.args`). */
  argv: readonly string[];
  /** Clock (default now). */
  now?: Date;
  /** Git info (default {@link gitInfo}); tests pass a fixed one. */
  git?: GitInfo;
}

async function runStart(step: number, method: string, o: RunStartOptions): Promise<RunStart> {
  return {
    started: (o.now ?? new Date()).toISOString(),
    step,
    backend: o.backend,
    git: o.git ?? await gitInfo(),
    command: ["deno", "task", `train-${method}`, ...o.argv].map(quote).join(" "),
    argv: [...o.argv],
    main_module: Deno.mainModule,
  };
}

function configFile(config: ResolvedConfig<object>, seed: number): RunConfigFile {
  return {
    format: RUN_CONFIG_FORMAT,
    method: config.method,
    preset: config.preset,
    seed,
    values: config.values as Record<string, unknown>,
    non_default: config.nonDefault,
  };
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    for await (const _ of Deno.readDir(dir)) return false;
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return true;
    throw e;
  }
}

/**
 * Creates a new run folder with `config.json`, `env.json`, `samples/` and `checkpoints/`.
 *
 * @param dir the folder; it must not exist or be empty (never overwrite another run).
 * @param init the resolved config, the seed, and the start details.
 * @throws Error if `dir` holds files (the message suggests `--resume` when it is a run).
 */
export async function createRun(
  dir: string,
  init: RunStartOptions & { config: ResolvedConfig<object>; seed: number },
): Promise<Run> {
  const paths = runPaths(dir);
  if (!(await isEmptyOrMissing(paths.dir))) {
    const isRun = await Deno.stat(paths.config).then(() => true, () => false);
    throw new Error(
      isRun
        ? `${paths.dir} already holds a run: continue it with --resume ${paths.dir}, ` +
          `or choose another --out`
        : `${paths.dir} exists and is not empty: choose another --out`,
    );
  }
  await Deno.mkdir(paths.samples, { recursive: true });
  await Deno.mkdir(paths.checkpoints, { recursive: true });
  const { config, seed } = init;
  await writeJsonAtomic(paths.config, configFile(config, seed));
  const start = await runStart(0, config.method, init);
  const env: RunEnvFile = {
    format: RUN_ENV_FORMAT,
    method: config.method,
    seed,
    ...start,
    versions: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
      tfjs: tf.version_core,
    },
    platform: {
      os: Deno.build.os,
      arch: Deno.build.arch,
      cpus: navigator.hardwareConcurrency ?? 0,
    },
    resumes: [],
  };
  await writeJsonAtomic(paths.env, env);
  return { paths, method: config.method, seed, config };
}

/**
 * Reads a run folder's `config.json`.
 *
 * @throws Error naming the folder when it is not a run folder.
 */
export async function readRunConfig(dir: string): Promise<RunConfigFile> {
  const paths = runPaths(dir);
  if (!(await Deno.stat(paths.dir).then((s) => s.isDirectory, () => false))) {
    throw new Error(`${paths.dir}: no such run folder`);
  }
  const file = await readJson<RunConfigFile>(paths.config);
  if (file?.format !== RUN_CONFIG_FORMAT) {
    throw new Error(
      `${paths.config}: format '${file?.format}' is not ${RUN_CONFIG_FORMAT}`,
    );
  }
  return file;
}

/** Options of {@link prepareResume}. */
export interface ResumeOptions extends RunStartOptions {
  /** The resolved config (may differ from `config.json` in resumable fields, e.g. `steps`). */
  config: ResolvedConfig<object>;
  /** The run seed. */
  seed: number;
  /** Completed steps of the checkpoint resumed from. */
  step: number;
  /**
   * Run first when the resume is committed, before the files below are written (the session
   * moves checkpoints of abandoned steps aside here).
   */
  beforeCommit?: () => Promise<void>;
}

/** The writes of resumes prepared but not committed yet, by run. */
const pendingResumes = new WeakMap<Run, () => Promise<void>>();

/**
 * Re-opens a run folder to continue it, without changing anything in it yet: the writes wait
 * for {@link commitResume}, which a method calls once the checkpoint (networks, optimisers and
 * its own state) has been restored, so that a resume that fails leaves the run folder as it
 * was. `runTraining` (`loop.ts`) commits a pending resume itself before its first step.
 *
 * Committing rewrites `config.json` (values may have changed, e.g. a longer `steps`), appends
 * this start to `env.json`'s `resumes`, and drops `metrics.jsonl` lines after `step`.
 *
 * @throws Error when `metrics.jsonl` cannot be read (checked now, so the commit cannot fail on
 *   it).
 */
export async function prepareResume(dir: string, init: ResumeOptions): Promise<Run> {
  const paths = runPaths(dir);
  const { config, seed, step } = init;
  await readMetrics(paths.metrics);
  const start = await runStart(step, config.method, init);
  const run: Run = { paths, method: config.method, seed, config };
  pendingResumes.set(run, async () => {
    await init.beforeCommit?.();
    await Deno.mkdir(paths.samples, { recursive: true });
    await Deno.mkdir(paths.checkpoints, { recursive: true });
    await writeJsonAtomic(paths.config, configFile(config, seed));
    const env = await readJson<RunEnvFile>(paths.env).catch(() => undefined);
    if (env && env.format === RUN_ENV_FORMAT) {
      env.resumes = [...(env.resumes ?? []), start];
      await writeJsonAtomic(paths.env, env);
    }
    await truncateMetrics(run, step);
  });
  return run;
}

/** Whether `run` was resumed and the resume is not committed yet ({@link prepareResume}). */
export function resumePending(run: Run): boolean {
  return pendingResumes.has(run);
}

/**
 * Applies a resume prepared by {@link prepareResume} to the run folder (once; later calls and
 * runs that were not resumed do nothing). Call it after restoring the checkpoint.
 */
export async function commitResume(run: Run): Promise<void> {
  const commit = pendingResumes.get(run);
  if (!commit) return;
  pendingResumes.delete(run);
  await commit();
}

/** One line of `metrics.jsonl`. */
export interface MetricsRecord {
  /** Completed steps. */
  step: number;
  /** Seconds of training so far (summed over resumes). */
  elapsed_s: number;
  /** Losses and other logged numbers. */
  [name: string]: number;
}

/** Appends one record to `metrics.jsonl` (one line, written and closed). */
export async function appendMetrics(run: Run, record: MetricsRecord): Promise<void> {
  await Deno.writeTextFile(run.paths.metrics, JSON.stringify(record) + "\n", { append: true });
}

/** Reads `metrics.jsonl` (missing file: no records); a torn last line is skipped. */
export async function readMetrics(path: string): Promise<MetricsRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  const out: MetricsRecord[] = [];
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  for (const [i, line] of lines.entries()) {
    try {
      out.push(JSON.parse(line));
    } catch (e) {
      if (i === lines.length - 1) break; // interrupted mid-line
      throw new Error(`${path}: line ${i + 1} is not JSON (${(e as Error).message})`);
    }
  }
  return out;
}

/** Removes `metrics.jsonl` records with `step > maxStep` (atomically). */
export async function truncateMetrics(run: Run, maxStep: number): Promise<void> {
  const records = await readMetrics(run.paths.metrics);
  const kept = records.filter((r) => r.step <= maxStep);
  if (kept.length === records.length) return;
  const text = kept.map((r) => JSON.stringify(r) + "\n").join("");
  await writeFileAtomic(run.paths.metrics, new TextEncoder().encode(text));
}

/** The name of a step's file: `step-000500` (6 digits or more). */
export function stepName(step: number): string {
  return `step-${String(step).padStart(6, "0")}`;
}

/** What {@link writeSampleGrid} accepts. */
export type SampleInput = tf.Tensor | readonly tf.Tensor[] | readonly PixelImage[];

/** Options of {@link writeSampleGrid}. */
export interface SampleGridOptions extends GridOptions {
  /** File name without `.png` (default `step-NNNNNN`). */
  name?: string;
}

function isTensorList(x: SampleInput): x is readonly tf.Tensor[] {
  const first = Array.isArray(x) ? x[0] : undefined;
  return typeof first === "object" && first !== null && "dtype" in first &&
    typeof (first as tf.Tensor).data === "function";
}

/**
 * Writes a PNG grid to `samples/step-NNNNNN.png` and returns its path.
 *
 * @param run the run.
 * @param step completed steps (the file name).
 * @param input one batch tensor `[N,H,W,C]` (tiled as a near-square grid), a list of batch tensors
 *   (one row each, e.g. `[synthetic, refined, real]`, columns = N), or pixel images. Tensors are
 *   read, not disposed.
 * @param options {@link GridOptions} (default `scale` 2, and `range` by tensor values), `name`.
 */
export async function writeSampleGrid(
  run: Run,
  step: number,
  input: SampleInput,
  options: SampleGridOptions = {},
): Promise<string> {
  const { name, ...grid } = options;
  const gridOptions: GridOptions = { scale: 2, ...grid };
  let png: Uint8Array;
  if (isTensorList(input)) {
    const range: ValueRange = grid.range ?? "auto";
    const rows = await Promise.all(input.map((t) => tensorToImages(t, range)));
    const cols = Math.max(...rows.map((r) => r.length));
    const images: PixelImage[] = [];
    const blank = (im: PixelImage): PixelImage => ({
      ...im,
      data: new Uint8Array(im.data.length).fill(gridOptions.background ?? 255),
    });
    for (const row of rows) {
      for (let c = 0; c < cols; c++) images.push(row[c] ?? blank(row[0]));
    }
    png = await encodePng(tileImages(images, { ...gridOptions, cols, rows: rows.length }));
  } else {
    png = await imageGridPng(input as tf.Tensor | readonly PixelImage[], gridOptions);
  }
  await Deno.mkdir(run.paths.samples, { recursive: true });
  const path = `${run.paths.samples}/${name ?? stepName(step)}.png`;
  await writeFileAtomic(path, png);
  return path;
}
