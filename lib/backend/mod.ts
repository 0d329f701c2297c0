/**
 * One entry point that initialises TensorFlow.js for every task and notebook, and reports what
 * it chose and why.
 *
 * `auto` (the default) tries, in order:
 * 1. `tfjs-node-gpu` — TensorFlow's native library with CUDA (needs the package's native addon);
 * 2. `tfjs-node` — TensorFlow's native CPU library (same);
 * 3. `webgpu` — only when the WebGPU adapter is real hardware, not a software fallback such as
 *    llvmpipe;
 * 4. `wasm` — XNNPACK-backed WebAssembly, with the project's training kernels registered
 *    (see `wasm_kernels.ts`);
 * 5. `cpu` — pure JavaScript, always available, very slow for convolutions.
 *
 * A backend that is requested by name and cannot start is an error, never a silent fallback.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "../nn/gradients.ts";
import { registerGradientFixes } from "./wasm_gradients.ts";
import { registerWasmTrainingKernels } from "./wasm_kernels.ts";
import { enableWasmThreads } from "./wasm_threads.ts";

/** Names accepted by `--backend`. */
export const BACKEND_NAMES = [
  "auto",
  "tfjs-node-gpu",
  "tfjs-node",
  "webgpu",
  "wasm",
  "cpu",
] as const;

/** A backend name as accepted by {@link initBackend}. */
export type BackendName = typeof BACKEND_NAMES[number];

/** One backend that `auto` tried, or that was requested. */
export interface BackendAttempt {
  /** The project's name for the backend. */
  name: Exclude<BackendName, "auto">;
  /** Whether it started. */
  ok: boolean;
  /** Why it was skipped or chosen. */
  reason: string;
}

/** What {@link initBackend} chose and why. Written to every run's `env.json`. */
export interface BackendReport {
  /** What was asked for. */
  requested: BackendName;
  /** The project's name of the backend in use. */
  name: Exclude<BackendName, "auto">;
  /** The name TensorFlow.js uses for it (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  tfjsBackend: string;
  /** The device that does the work, in words. */
  device: string;
  /** Every backend tried, in order, with the reason it was skipped or chosen. */
  attempts: BackendAttempt[];
  /** Versions of the runtime and the libraries. */
  versions: { tfjs: string; deno: string; v8: string; typescript: string };
  /** Backend flags that matter for speed. */
  flags: Record<string, boolean | number>;
}

/** Options for {@link initBackend}. */
export interface InitBackendOptions {
  /** Which backend to use; `auto` (default) picks the fastest that works. */
  backend?: BackendName;
  /**
   * Threads of the `wasm` backend: 1 = single-threaded, N > 1 = a pool of N threads (at most
   * 8, tfjs's pool size). Default: `EYEGAN_WASM_THREADS` if set, else the number of logical
   * cores. Only the first initialisation of `wasm` in a process decides; the report gives the
   * number the backend really runs.
   */
  threads?: number;
}

/** The wasm thread count asked for: the option, else `EYEGAN_WASM_THREADS`, else the cores. */
function wantedThreads(option: number | undefined): number {
  if (option !== undefined) return option;
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get("EYEGAN_WASM_THREADS");
  } catch {
    // no --allow-env: use the default
  }
  if (fromEnv !== undefined && fromEnv !== "") {
    const n = Number(fromEnv);
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`EYEGAN_WASM_THREADS must be a positive integer, got '${fromEnv}'`);
    }
    return n;
  }
  return navigator.hardwareConcurrency ?? 1;
}

let current: BackendReport | undefined;

/** The report of the last successful {@link initBackend}, if any. */
export function backendReport(): BackendReport | undefined {
  return current;
}

/** Parses a `--backend` value, with an error that lists the valid names. */
export function parseBackendName(value: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new Error(`unknown backend '${value}': expected one of ${BACKEND_NAMES.join(", ")}`);
}

type Tried = { ok: true; tfjsBackend: string; device: string; reason: string } | {
  ok: false;
  reason: string;
};

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0].trim();
}

async function activate(tfjsBackend: string): Promise<void> {
  const ok = await tf.setBackend(tfjsBackend);
  if (!ok) throw new Error(`tf.setBackend('${tfjsBackend}') failed`);
  await tf.ready();
}

async function tryNative(pkg: "tfjs-node-gpu" | "tfjs-node"): Promise<Tried> {
  // Both native packages register the same `tensorflow` kernels before they look for their
  // addon, so the second import repeats every registration: keep those warnings quiet.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes("is already registered")) warn(...args);
  };
  try {
    if (pkg === "tfjs-node-gpu") await import("@tensorflow/tfjs-node-gpu");
    else await import("@tensorflow/tfjs-node");
  } catch (e) {
    return { ok: false, reason: `@tensorflow/${pkg} native addon unavailable: ${firstLine(e)}` };
  } finally {
    console.warn = warn;
  }
  try {
    await activate("tensorflow");
  } catch (e) {
    return { ok: false, reason: `@tensorflow/${pkg} loaded but did not start: ${firstLine(e)}` };
  }
  const device = pkg === "tfjs-node-gpu"
    ? "NVIDIA GPU through CUDA (libtensorflow)"
    : "CPU (libtensorflow)";
  return {
    ok: true,
    tfjsBackend: "tensorflow",
    device,
    reason: `@tensorflow/${pkg} native addon loaded`,
  };
}

async function tryWebgpu(requireHardware: boolean): Promise<Tried> {
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (!gpu) return { ok: false, reason: "navigator.gpu is not available in this runtime" };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (e) {
    return { ok: false, reason: `requestAdapter failed: ${firstLine(e)}` };
  }
  if (!adapter) return { ok: false, reason: "no WebGPU adapter found" };
  const info = adapter.info;
  const described = info.description || info.device || info.vendor || "unnamed adapter";
  const fallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    false;
  const software = fallback || /llvmpipe|swiftshader|lavapipe|software/i.test(described);
  if (requireHardware && software) {
    return {
      ok: false,
      reason: `WebGPU adapter is a software fallback (${described}), slower than wasm`,
    };
  }
  try {
    await import("@tensorflow/tfjs-backend-webgpu");
    await activate("webgpu");
  } catch (e) {
    return { ok: false, reason: `tfjs webgpu backend did not start: ${firstLine(e)}` };
  }
  return {
    ok: true,
    tfjsBackend: "webgpu",
    device: `WebGPU adapter: ${described}${software ? " (software)" : ""}`,
    reason: software ? "requested explicitly (software adapter)" : "hardware WebGPU adapter",
  };
}

let wasmThreads = 1;

/** tfjs's threaded wasm build never runs more threads than its pool of 8 workers. */
const MAX_WASM_THREADS = 8;

async function tryWasm(requestedThreads: number | undefined): Promise<Tried> {
  // A malformed EYEGAN_WASM_THREADS is a configuration error, not a reason to fall back.
  const threads = Math.min(MAX_WASM_THREADS, wantedThreads(requestedThreads));
  try {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    registerWasmTrainingKernels();
    // The thread pool is fixed when the backend first starts; later calls keep it.
    const started = tf.engine().registry["wasm"] !== undefined;
    if (!started && threads > 1) enableWasmThreads(threads);
    // The pool's workers are unref()ed so they never keep a finished process alive; while the
    // module starts (it waits for their messages) a timer keeps the event loop running.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      await activate("wasm");
    } finally {
      clearInterval(keepAlive);
    }
    // What the backend really runs (its C++ side may use fewer threads than asked for).
    wasmThreads = tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT") ? wasm.getThreadsCount() : 1;
  } catch (e) {
    return { ok: false, reason: `wasm backend did not start: ${firstLine(e)}` };
  }
  const simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT");
  return {
    ok: true,
    tfjsBackend: "wasm",
    device: `CPU through WebAssembly + XNNPACK (SIMD ${simd ? "on" : "off"}, ${
      wasmThreads > 1 ? `${wasmThreads} threads` : "single thread"
    })`,
    reason: "WebAssembly backend with the project's training kernels",
  };
}

async function tryCpu(): Promise<Tried> {
  await activate("cpu");
  return {
    ok: true,
    tfjsBackend: "cpu",
    device: "CPU, pure JavaScript",
    reason: "always available",
  };
}

function tryOne(
  name: Exclude<BackendName, "auto">,
  auto: boolean,
  threads: number | undefined,
): Promise<Tried> {
  switch (name) {
    case "tfjs-node-gpu":
    case "tfjs-node":
      return tryNative(name);
    case "webgpu":
      return tryWebgpu(auto);
    case "wasm":
      return tryWasm(threads);
    case "cpu":
      return tryCpu();
  }
}

function versions(): BackendReport["versions"] {
  return {
    tfjs: tf.version_core,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
  };
}

function speedFlags(): Record<string, boolean | number> {
  const flags: Record<string, boolean | number> = { wasmThreads };
  for (const key of ["WASM_HAS_SIMD_SUPPORT", "WASM_HAS_MULTITHREAD_SUPPORT"]) {
    try {
      flags[key] = tf.env().get(key) as boolean;
    } catch {
      // flag not registered: the wasm backend is not loaded
    }
  }
  return flags;
}

/**
 * Initialises TensorFlow.js and returns what was chosen and why.
 *
 * @param options `backend`: a name from {@link BACKEND_NAMES}; `auto` by default.
 * @returns the report, also available later from {@link backendReport}.
 * @throws if a backend requested by name cannot start (the error says why).
 * @example
 * ```ts ignore
 * const report = await initBackend({ backend: "auto" });
 * console.log(formatBackendReport(report));
 * ```
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendReport> {
  const requested = options.backend ?? "auto";
  parseBackendName(requested);
  // tfjs's own MirrorPad gradient is wrong and comparisons have none: fix them for every backend.
  registerGradientFixes();
  const order: Exclude<BackendName, "auto">[] = requested === "auto"
    ? ["tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu"]
    : [requested];
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    const tried = await tryOne(name, requested === "auto", options.threads);
    attempts.push({ name, ok: tried.ok, reason: tried.reason });
    if (tried.ok) {
      quietCpuBanner();
      current = {
        requested,
        name,
        tfjsBackend: tried.tfjsBackend,
        device: tried.device,
        attempts,
        versions: versions(),
        flags: speedFlags(),
      };
      return current;
    }
  }
  throw new Error(
    `backend '${requested}' is not available: ${attempts.map((a) => a.reason).join("; ")}`,
  );
}

/**
 * The cpu backend prints a long "looks like you are running TensorFlow.js in Node.js" banner
 * on first use, advising tfjs-node. The backend report already says why that was skipped.
 */
function quietCpuBanner(): void {
  const cpu = tf.findBackend("cpu") as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
}

/** A few lines of text describing a {@link BackendReport}, for logs and notebooks. */
export function formatBackendReport(report: BackendReport): string {
  const lines = [
    `backend: ${report.name} (${report.device})`,
    `requested: ${report.requested}; tfjs ${report.versions.tfjs}, Deno ${report.versions.deno}`,
  ];
  for (const a of report.attempts) {
    lines.push(`  ${a.ok ? "chose" : "skipped"} ${a.name}: ${a.reason}`);
  }
  return lines.join("\n");
}
