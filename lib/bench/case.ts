/**
 * The benchmark case contract and the registry of cases.
 *
 * A case is set up on the current TensorFlow.js backend (it creates its variables there), then
 * its `run` is timed. Adding a case, e.g. in `lib/bench/cases_data.ts`:
 *
 * ```ts ignore
 * import { registerBenchCase } from "./case.ts";
 * registerBenchCase({
 *   name: "render_36x60",
 *   description: "render a batch of 64 synthetic eyes at 36x60",
 *   backendIndependent: true, // pure JS: timed once, reported with backend "js"
 *   setup: () => ({
 *     info: { batch: 64, input_shape: [64, 36, 60, 1] },
 *     itemsPerRun: 64, // adds items_per_s (images/s) to the line
 *     run: async () => { await renderBatch(64); },
 *     dispose: () => {},
 *   }),
 * });
 * ```
 *
 * and one `import "./cases_data.ts";` in `lib/bench/cli.ts`, next to `import "./cases.ts";`.
 *
 * @module
 */

/** A case set up on the current backend, ready to be timed. */
export interface BenchInstance {
  /**
   * One timed unit of work. Must resolve only when the work is done: read a result back
   * (`await t.data()`), never rely on queued GPU work.
   */
  run(): Promise<void>;
  /** Extra fields for the result line (`batch`, `input_shape`, `params`, ...). */
  info: Record<string, unknown>;
  /** Items processed per run (e.g. images); adds `items_per_s` to the result. */
  itemsPerRun?: number;
  /** Releases what `setup` created (variables, inputs, optimiser state). */
  dispose(): void;
}

/** A named benchmark. */
export interface BenchCase {
  /** Name used by `--case` and in the `case` field of the results. */
  name: string;
  /** One line for `--list`. */
  description: string;
  /** Does not use TensorFlow.js: run once, not per backend, reported as backend `js`. */
  backendIndependent?: boolean;
  /** Builds the case on the current backend. */
  setup(options: { seed: number }): BenchInstance | Promise<BenchInstance>;
}

const CASES = new Map<string, BenchCase>();

/** Adds a case; names must be unique. */
export function registerBenchCase(benchCase: BenchCase): void {
  if (CASES.has(benchCase.name)) throw new Error(`bench case '${benchCase.name}' already exists`);
  CASES.set(benchCase.name, benchCase);
}

/** Every registered case, in registration order. */
export function benchCases(): BenchCase[] {
  return [...CASES.values()];
}

/** The case called `name`, with an error listing the known ones. */
export function getBenchCase(name: string): BenchCase {
  const c = CASES.get(name);
  if (!c) throw new Error(`unknown bench case '${name}' (known: ${[...CASES.keys()].join(", ")})`);
  return c;
}
