/**
 * The command line of a training task: the run flags the harness handles (`--preset`, `--out`,
 * `--resume`, `--seed`, `--backend`, `--quiet`, `--help`) and one dotted flag per config field
 * (`--refiner.blocks 4`, `--optimizer.lr=1e-3`, `--flip`, `--flip=false`).
 *
 * `node:util` `parseArgs` is not used here: it cannot give a boolean flag an explicit `=false`
 * and would need the config's flags declared twice.
 *
 * @module
 */
import { type BackendName, parseBackendName } from "../backend/mod.ts";
import { UsageError } from "../util/cli.ts";
import {
  configFields,
  type ConfigLeaf,
  type ConfigSpec,
  getPath,
  presetConfig,
  presetNames,
  RUN_FLAG_NAMES,
  unknownFlagError,
} from "./config.ts";
import { MAX_SEED } from "./seeds.ts";

/** The run flags of a training task. */
export interface RunFlags {
  /** `--preset`: preset name (absent: the method's default preset). */
  preset?: string;
  /** `--out`: run folder (absent: `runs/<method>-<YYYYmmdd-HHMMSS>`). */
  out?: string;
  /** `--resume`: run folder (or checkpoint file) to continue. */
  resume?: string;
  /** `--seed`: the run seed (absent: 0 for a new run; the saved one when resuming). */
  seed?: number;
  /**
   * `--backend`: TensorFlow.js backend (absent: `auto` for a new run; when resuming, the backend
   * the run was started with).
   */
  backend?: BackendName;
  /** `--quiet`: no progress bar and no backend report. */
  quiet: boolean;
  /** `--help` / `-h`. */
  help: boolean;
}

/** What {@link parseRunArgs} returns. */
export interface ParsedRunArgs {
  /** The run flags. */
  flags: RunFlags;
  /** Config overrides by dotted path, as given (strings; booleans given bare are `"true"`). */
  overrides: Record<string, string>;
}

const BOOLEAN_RUN_FLAGS = new Set(["quiet", "help"]);

/**
 * Parses a training task's arguments.
 *
 * @param argv the arguments (`Deno.args`).
 * @param spec the method's config declaration (its fields are the valid dotted flags).
 * @throws {UsageError} for an unknown flag (listing every valid one), a missing value, a flag given
 *   twice, a positional argument, or a bad `--seed` / `--backend`.
 */
export function parseRunArgs<C extends object>(
  argv: readonly string[],
  spec: ConfigSpec<C>,
): ParsedRunArgs {
  const fields = new Map(configFields(spec).map((f) => [f.path, f]));
  const valid = [...RUN_FLAG_NAMES, ...fields.keys()];
  const seen = new Set<string>();
  const run: Record<string, string> = {};
  const overrides: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === "-h") {
      run.help = "true";
      continue;
    }
    if (!token.startsWith("--") || token === "--") {
      throw new UsageError(`unexpected argument '${token}' (flags look like --name value)`);
    }
    const eq = token.indexOf("=");
    const name = eq < 0 ? token.slice(2) : token.slice(2, eq);
    let value = eq < 0 ? undefined : token.slice(eq + 1);
    const field = fields.get(name);
    const isRunFlag = (RUN_FLAG_NAMES as readonly string[]).includes(name);
    if (!field && !isRunFlag) throw unknownFlagError(name, valid);
    if (seen.has(name)) throw new UsageError(`--${name} is given more than once`);
    seen.add(name);
    const boolean = isRunFlag ? BOOLEAN_RUN_FLAGS.has(name) : typeof field?.default === "boolean";
    if (value === undefined) {
      const next = argv[i + 1];
      if (boolean) {
        if (next === "true" || next === "false") value = argv[++i];
        else value = "true";
      } else {
        if (next === undefined || next.startsWith("--")) {
          throw new UsageError(`--${name} needs a value`);
        }
        value = argv[++i];
      }
    }
    if (isRunFlag) run[name] = value;
    else overrides[name] = value;
  }
  return { flags: runFlags(run), overrides };
}

function runFlags(run: Record<string, string>): RunFlags {
  const bool = (name: string): boolean => {
    const v = run[name];
    if (v === undefined || v === "false") return false;
    if (v === "true") return true;
    throw new UsageError(`--${name} must be true or false, got '${v}'`);
  };
  let seed: number | undefined;
  if (run.seed !== undefined) {
    seed = Number(run.seed);
    if (run.seed.trim() === "" || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
      throw new UsageError(`--seed must be an integer in 0..${MAX_SEED}, got '${run.seed}'`);
    }
  }
  let backend: BackendName | undefined;
  if (run.backend !== undefined) {
    try {
      backend = parseBackendName(run.backend);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  for (const name of ["preset", "out", "resume"]) {
    if (run[name] === "") throw new UsageError(`--${name} needs a value`);
  }
  return {
    preset: run.preset,
    out: run.out,
    resume: run.resume,
    seed,
    backend,
    quiet: bool("quiet"),
    help: bool("help"),
  };
}

function show(value: ConfigLeaf): string {
  return Array.isArray(value) ? value.join(",") : String(value);
}

/**
 * The `--help` text of a training task: run flags, presets, and every config field with its
 * type and its value in each standard preset.
 *
 * @param spec the method's config declaration.
 * @param options `task`: the task name shown (default `train-<method>`).
 */
export function formatUsage<C extends object>(
  spec: ConfigSpec<C>,
  options: { task?: string } = {},
): string {
  const task = options.task ?? `train-${spec.name}`;
  const presets = presetNames(spec);
  const defaultPreset = spec.defaultPreset ?? "quick";
  const values = Object.fromEntries(presets.map((p) => [p, presetConfig(spec, p)]));
  const lines = [
    `Usage: deno task ${task} [--preset ${presets.join("|")}] [--out DIR] [--seed N]`,
    `       [--backend NAME] [--quiet] [--FIELD VALUE ...]`,
    `       deno task ${task} --resume runs/NAME [--steps N]`,
  ];
  if (spec.description) lines.push("", spec.description);
  lines.push(
    "",
    "Run flags:",
    `  --preset NAME   starting values: ${presets.join(", ")} (default ${defaultPreset})`,
    `  --out DIR       run folder (default runs/${spec.name}-YYYYmmdd-HHMMSS)`,
    "  --resume DIR    continue the run in DIR from its latest checkpoint",
    "                  (or from a checkpoint file DIR/checkpoints/step-N.safetensors)",
    "  --seed N        run seed, 0..4294967295 (default 0)",
    "  --backend NAME  auto (default; a resumed run keeps its own), tfjs-node-gpu, tfjs-node,",
    "                  webgpu, wasm, cpu",
    "  --quiet         no progress bar",
    "  --help          this text",
    "",
    `Config (values: ${presets.join(" / ")}; * = may change with --resume):`,
  );
  const rows = configFields(spec).map((f) => {
    const type = f.info.choices
      ? f.info.choices.join("|")
      : Array.isArray(f.default)
      ? "LIST"
      : typeof f.default === "boolean"
      ? "true|false"
      : typeof f.default === "number"
      ? (f.info.integer ? "INT" : "NUM")
      : "TEXT";
    const perPreset = presets.map((p) => show(getPath(values[p], f.path) as ConfigLeaf));
    return { left: `--${f.path} ${type}${f.info.resumable ? " *" : ""}`, f, perPreset };
  });
  const width = Math.max(...rows.map((r) => r.left.length)) + 2;
  for (const { left, f, perPreset } of rows) {
    const doc = f.info.doc ? `  ${f.info.doc}` : "";
    lines.push(`  ${left.padEnd(width)}[${perPreset.join(" / ")}]${doc}`);
  }
  return lines.join("\n");
}
