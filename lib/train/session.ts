/**
 * {@link startRun}: everything a training task does before its first step, in one call. It
 * parses the command line, prints `--help`, starts the backend, resolves the config (or reloads
 * it with `--resume`), creates or re-opens the run folder, and reads the checkpoint to resume
 * from.
 *
 * A resume changes nothing in the run folder until the method has restored the checkpoint and
 * calls {@link RunSession.commitResume} (`runTraining` calls it too, before its first step): a
 * resume that fails (a checkpoint that does not fit, a changed data set) leaves `config.json`,
 * `env.json`, `metrics.jsonl` and `checkpoints/` as they were.
 *
 * With `--resume DIR` the run continues on the backend it was started with (unless `--backend`
 * says otherwise), and only safe flags are accepted: `--backend`, `--quiet`, and config fields the
 * method marks `resumable` (e.g. `--steps` to extend a run, the logging intervals). Any other flag
 * is rejected unless it repeats the run's value, so the original command plus `--resume` works.
 *
 * @module
 */
import {
  type BackendName,
  type BackendReport,
  formatBackendReport,
  initBackend,
  parseBackendName,
} from "../backend/mod.ts";
import { UsageError } from "../util/cli.ts";
import { formatUsage, type ParsedRunArgs, parseRunArgs } from "./args.ts";
import {
  abandonLaterCheckpoints,
  type Checkpoint,
  CheckpointError,
  readCheckpoint,
} from "./checkpoint.ts";
import {
  configFields,
  configFromValues,
  type ConfigSpec,
  flattenConfig,
  getPath,
  parseValue,
  resolveConfig,
  type ResolvedConfig,
} from "./config.ts";
import {
  commitResume,
  createRun,
  defaultRunDir,
  type GitInfo,
  prepareResume,
  readJson,
  readRunConfig,
  type Run,
  type RunEnvFile,
  runPaths,
} from "./run.ts";
import { RunSeeds } from "./seeds.ts";

/** What {@link startRun} hands to a method. */
export interface RunSession<C> {
  /** The run folder. */
  run: Run;
  /** The resolved config values. */
  config: C;
  /** The resolved config with preset and non-default values. */
  resolved: ResolvedConfig<C>;
  /** Seeds of everything random, from the run seed. */
  seeds: RunSeeds;
  /** The backend in use and why. */
  backend: BackendReport;
  /** `--quiet`. */
  quiet: boolean;
  /** The checkpoint to continue from (`--resume`), read and format-checked; else absent. */
  checkpoint?: Checkpoint;
  /** Completed steps so far: the checkpoint's step, or 0. */
  startStep: number;
  /**
   * Records the resume in the run folder: moves checkpoints of later steps than the one resumed
   * from into `checkpoints/abandoned-<time>/`, rewrites `config.json`, adds the start to
   * `env.json`'s `resumes`, drops `metrics.jsonl` lines after `startStep`. Call it once the
   * checkpoint and the method's own state are restored; until then the run folder is untouched.
   * `runTraining` calls it before its first step if the method did not. Does nothing for a new
   * run or a second time.
   */
  commitResume(): Promise<void>;
}

/** Options of {@link startRun}. */
export interface StartRunOptions {
  /** Clock for the default run folder name and `env.json` (default now). */
  now?: Date;
  /** Git info for `env.json` (default: asked from git where permitted). */
  git?: GitInfo;
  /** Task name in usage and messages (default `train-<method>`). */
  task?: string;
  /** Output for `--help` and the backend report (default `console.log` / `console.error`). */
  print?: (message: string) => void;
}

/**
 * Prepares a run from the command line.
 *
 * @param spec the method's config declaration.
 * @param argv the task's arguments (`Deno.args`).
 * @param options clock, git info, task name, output.
 * @returns the session, or `undefined` after printing `--help`.
 * @throws {UsageError} for bad flags (the task prints the usage and exits 2);
 *   {@link CheckpointError} or Error for a run folder or checkpoint that cannot be resumed.
 */
export async function startRun<C extends object>(
  spec: ConfigSpec<C>,
  argv: readonly string[],
  options: StartRunOptions = {},
): Promise<RunSession<C> | undefined> {
  const { flags, overrides } = parseRunArgs(argv, spec);
  if (flags.help) {
    (options.print ?? console.log)(formatUsage(spec, { task: options.task }));
    return undefined;
  }
  if (flags.resume !== undefined) {
    return await resume(spec, { argv, flags, overrides, target: flags.resume }, options);
  }

  const resolved = resolveConfig(spec, { preset: flags.preset, overrides });
  const seed = flags.seed ?? 0;
  const backend = await initBackend({ backend: flags.backend ?? "auto" });
  if (!flags.quiet) (options.print ?? console.error)(formatBackendReport(backend));
  const run = await createRun(flags.out ?? defaultRunDir(spec.name, options.now), {
    config: resolved,
    seed,
    backend,
    argv,
    now: options.now,
    git: options.git,
  });
  return {
    run,
    config: resolved.values,
    resolved,
    seeds: new RunSeeds(seed),
    backend,
    quiet: flags.quiet,
    startStep: 0,
    commitResume: () => commitResume(run),
  };
}

/** Splits `--resume PATH` into the run folder and the checkpoint file. */
async function resumeTarget(path: string): Promise<{ dir: string; file: string }> {
  const isFile = await Deno.stat(path).then((s) => s.isFile, () => false);
  if (isFile) {
    const m = /^(.*?)\/?checkpoints\/[^/]+\.safetensors$/.exec(path);
    if (!m) {
      throw new UsageError(
        `--resume ${path}: a checkpoint file must be RUN/checkpoints/NAME.safetensors`,
      );
    }
    return { dir: m[1] === "" ? "." : m[1], file: path };
  }
  return { dir: path, file: runPaths(path).latestCheckpoint };
}

async function resume<C extends object>(
  spec: ConfigSpec<C>,
  args: ParsedRunArgs & { argv: readonly string[]; target: string },
  options: StartRunOptions,
): Promise<RunSession<C>> {
  const { argv, flags, overrides, target } = args;
  for (const name of ["preset", "seed", "out"] as const) {
    if (flags[name] !== undefined) {
      throw new UsageError(
        `--${name} cannot be given with --resume (the run keeps its own ${name})`,
      );
    }
  }
  const { dir, file } = await resumeTarget(target);
  const saved = await readRunConfig(dir);
  if (saved.method !== spec.name) {
    throw new UsageError(
      `${dir} is a '${saved.method}' run; resume it with deno task train-${saved.method}`,
    );
  }
  const { resolved: savedConfig, added } = configFromValues(spec, saved.preset, saved.values);
  const fields = configFields(spec);
  const allowed = fields.filter((f) => f.info.resumable).map((f) => f.path);
  const changes: Record<string, unknown> = {};
  for (const [path, raw] of Object.entries(overrides)) {
    const f = fields.find((x) => x.path === path)!;
    const value = parseValue(path, raw, f.default, f.info);
    const current = getPath(savedConfig.values, path);
    if (JSON.stringify(value) === JSON.stringify(current)) continue;
    if (!f.info.resumable) {
      throw new UsageError(
        `--${path} cannot change when resuming (the run uses ${JSON.stringify(current)}); ` +
          `flags allowed with --resume: --backend, --quiet${
            allowed.map((p) => `, --${p}`).join("")
          }`,
      );
    }
    changes[path] = value;
  }
  const resolved = resolveConfig(spec, {
    preset: saved.preset,
    overrides: { ...Object.fromEntries(flattenConfig(savedConfig.values)), ...changes },
  });

  let checkpoint: Checkpoint;
  try {
    checkpoint = await readCheckpoint(file);
  } catch (e) {
    if (e instanceof CheckpointError && /no such checkpoint/.test(e.message)) {
      throw new CheckpointError(
        `${file}: no checkpoint to resume from (the run stopped before its first checkpoint); ` +
          `start it again without --resume`,
      );
    }
    if (e instanceof CheckpointError && /corrupt/.test(e.message)) {
      throw new CheckpointError(
        `${e.message}; older checkpoints may be in ${runPaths(dir).checkpoints} ` +
          `(resume from one with --resume ${runPaths(dir).checkpoints}/step-NNNNNN.safetensors)`,
      );
    }
    throw e;
  }
  if (checkpoint.method !== spec.name) {
    throw new CheckpointError(
      `${file}: written by method '${checkpoint.method}', not ${spec.name}`,
    );
  }
  for (const f of fields) {
    if (f.info.resumable || added.includes(f.path)) continue;
    const a = getPath(checkpoint.config.values, f.path);
    const b = getPath(savedConfig.values, f.path);
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      throw new CheckpointError(
        `${file}: written with ${f.path}=${JSON.stringify(a)} but ${dir}/config.json says ` +
          `${JSON.stringify(b)}; the run folder was edited or mixed up`,
      );
    }
  }
  const print = options.print ?? console.error;
  if (added.length) {
    print(`note: fields new since the run started take the preset's values: ${added.join(", ")}`);
  }
  const backend = await initBackend({ backend: flags.backend ?? await startedBackend(dir) });
  if (!flags.quiet) print(formatBackendReport(backend));
  const run = await prepareResume(dir, {
    config: resolved,
    seed: saved.seed,
    step: checkpoint.step,
    backend,
    argv,
    now: options.now,
    git: options.git,
    beforeCommit: async () => {
      await abandonLaterCheckpoints(runPaths(dir), checkpoint.step, file, {
        now: options.now,
        print,
      });
    },
  });
  if (!flags.quiet) print(`resuming ${dir} from step ${checkpoint.step} (${file})`);
  return {
    run,
    config: resolved.values,
    resolved,
    seeds: new RunSeeds(saved.seed),
    backend,
    quiet: flags.quiet,
    checkpoint,
    startStep: checkpoint.step,
    commitResume: () => commitResume(run),
  };
}

/** The backend a run was last started with (`env.json`), so a resume continues on it. */
async function startedBackend(dir: string): Promise<BackendName> {
  try {
    const env = await readJson<RunEnvFile>(runPaths(dir).env);
    const last = env.resumes?.length ? env.resumes[env.resumes.length - 1] : env;
    return parseBackendName(last.backend.requested);
  } catch {
    return "auto";
  }
}
