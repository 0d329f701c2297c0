/**
 * Benchmark of training steps on every available backend, optionally against PyTorch.
 *
 *   deno task bench [--backend all|LIST] [--case all|LIST] [--runs N] [--warmup N]
 *                   [--include-slow] [--seed N] [--list]
 *   deno task bench-compare [flags]   # adds --peer: PyTorch refiner_step and ratio lines
 *
 * Prints one JSON object per line to stdout (see `lib/bench/run.ts` `BenchResult`); skipped
 * backends and failures go to stderr. Logic lives in `lib/bench/`.
 *
 * @module
 */
import { benchMain, parseBenchArgs } from "../lib/bench/cli.ts";

if (import.meta.main) {
  let code: number;
  try {
    code = await benchMain(parseBenchArgs(Deno.args));
  } catch (e) {
    console.error(`bench: ${e instanceof Error ? e.message : e}`);
    code = 2;
  }
  Deno.exit(code);
}
