/**
 * Runs benchmark cases on a list of backends and yields one result row per (case, backend).
 *
 * Backends are switched in-process with `initBackend`; every case is set up after the switch,
 * so its variables live on the backend being measured, and disposed before the next.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type BackendName, type BackendReport, initBackend } from "../backend/mod.ts";
import type { BenchCase } from "./case.ts";
import { round3, timeRuns } from "./timing.ts";

/** Every concrete backend, in the order `all` tries them. */
export const ALL_BACKENDS: Exclude<BackendName, "auto">[] = [
  "tfjs-node-gpu",
  "tfjs-node",
  "webgpu",
  "wasm",
  "cpu",
];

/** One line of benchmark output. */
export interface BenchResult {
  /** Case name. */
  case: string;
  /** Project backend name (`wasm`, `cpu`, ...; `js` for backend-independent cases). */
  backend: string;
  /** Median time of one run, ms. */
  ms_median: number;
  /** Fastest run, ms. */
  ms_min: number;
  /** Mean, ms. */
  ms_mean: number;
  /** Slowest run, ms. */
  ms_max: number;
  /** Timed runs. */
  runs: number;
  /** Untimed warm-up runs. */
  warmup: number;
  /** Threads doing the work (1 for cpu and single-threaded wasm; null when not known). */
  threads: number | null;
  /** Items per second at the median (e.g. images/s), when the case says what an item is. */
  items_per_s?: number;
  /** Tensors allocated by the timed runs and not released (should be 0). */
  leaked_tensors: number;
  /** Case fields: batch, input_shape, params, ... */
  [key: string]: unknown;
}

/** Options of {@link runBench}. */
export interface RunBenchOptions {
  /** Backends to measure, in order (`auto` allowed). */
  backends: BackendName[];
  /** Cases to run. */
  cases: BenchCase[];
  /** Timed runs per case. */
  runs: number;
  /** Warm-up runs per case. */
  warmup: number;
  /** Seed of the weights and inputs. */
  seed: number;
  /**
   * Skip backends that start but are known to be very slow (cpu, software WebGPU); the task sets
   * it for `--backend all` without `--include-slow`.
   */
  skipSlow: boolean;
  /** Called with a message for every skipped backend or failed case. */
  onSkip: (message: string) => void;
}

/** Why a started backend is skipped as slow, or undefined. */
function slowReason(report: BackendReport): string | undefined {
  if (report.name === "cpu") return "pure-JS cpu backend is very slow for conv training";
  if (report.name === "webgpu" && report.device.includes("(software)")) {
    return `WebGPU adapter is a software fallback (${report.device})`;
  }
  return undefined;
}

function threadsOf(report: BackendReport): number | null {
  if (report.name === "cpu") return 1;
  if (report.name === "wasm") {
    return report.flags.WASM_HAS_MULTITHREAD_SUPPORT ? navigator.hardwareConcurrency : 1;
  }
  return null;
}

async function measure(
  c: BenchCase,
  backend: string,
  threads: number | null,
  extra: Record<string, unknown>,
  options: RunBenchOptions,
): Promise<BenchResult> {
  const instance = await c.setup({ seed: options.seed });
  try {
    for (let i = 0; i < options.warmup; i++) await instance.run();
    // counted after warm-up: lazily created state (Adam's moments) is not a leak
    const before = tf.memory().numTensors;
    const t = await timeRuns(() => instance.run(), { warmup: 0, runs: options.runs });
    const result: BenchResult = {
      case: c.name,
      backend,
      ms_median: round3(t.medianMs),
      ms_min: round3(t.minMs),
      ms_mean: round3(t.meanMs),
      ms_max: round3(t.maxMs),
      runs: options.runs,
      warmup: options.warmup,
      threads,
      leaked_tensors: 0,
      ...extra,
      ...instance.info,
    };
    if (instance.itemsPerRun) {
      result.items_per_s = round3(instance.itemsPerRun / (t.medianMs / 1000));
    }
    result.leaked_tensors = tf.memory().numTensors - before;
    return result;
  } finally {
    instance.dispose();
  }
}

/**
 * Yields one {@link BenchResult} per (case, backend) that ran. Backends that cannot start, slow
 * backends when `skipSlow`, and cases that fail are reported through `onSkip`.
 */
export async function* runBench(options: RunBenchOptions): AsyncGenerator<BenchResult> {
  const jsCases = options.cases.filter((c) => c.backendIndependent);
  const tfCases = options.cases.filter((c) => !c.backendIndependent);
  for (const c of jsCases) {
    try {
      yield await measure(c, "js", 1, {}, options);
    } catch (e) {
      options.onSkip(`case ${c.name} failed: ${e instanceof Error ? e.message : e}`);
    }
  }
  if (tfCases.length === 0) return;
  for (const name of options.backends) {
    let report: BackendReport;
    try {
      report = await initBackend({ backend: name });
    } catch (e) {
      options.onSkip(`backend ${name} skipped: ${e instanceof Error ? e.message : e}`);
      continue;
    }
    const slow = slowReason(report);
    if (slow && options.skipSlow) {
      options.onSkip(`backend ${report.name} skipped: ${slow} (pass --include-slow to run it)`);
      continue;
    }
    const extra = {
      tfjs_backend: report.tfjsBackend,
      device: report.device,
      tfjs: report.versions.tfjs,
      deno: report.versions.deno,
    };
    for (const c of tfCases) {
      try {
        yield await measure(c, report.name, threadsOf(report), extra, options);
      } catch (e) {
        const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
        options.onSkip(`case ${c.name} failed on ${report.name}: ${msg}`);
      }
    }
  }
}
