/**
 * Benchmark of training steps on every available backend, optionally against PyTorch.
 *
 *   deno task bench [--backend all|LIST] [--case all|LIST] [--runs N] [--warmup N]
 *                   [--include-slow] [--seed N] [--list]
 *   deno task bench-compare [flags]   # adds --peer: PyTorch refiner_step and ratio lines
 *
 * Prints one JSON object per line to stdout (see `lib/bench/run.ts` `BenchResult`); skipped
 * backends and failures go to stderr. Exits 0 when every requested case ran, 1 on a failure,
 * 2 on a bad command line. Logic lives in `lib/bench/`.
 *
 * @module
 */
import { BENCH_USAGE, benchMain, parseBenchArgs } from "../lib/bench/cli.ts";
import { runTask } from "../lib/util/cli.ts";

if (import.meta.main) {
  await runTask("bench", BENCH_USAGE, () => {
    const args = parseBenchArgs(Deno.args);
    if (args.help) return void console.log(BENCH_USAGE);
    return benchMain(args);
  });
}
