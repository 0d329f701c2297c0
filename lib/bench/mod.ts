/**
 * Benchmarks: the case registry, the built-in cases, timing, the runner over backends, and the
 * PyTorch peer. `tasks/bench.ts` is the command line.
 *
 * To add cases from another module, register them there with {@link registerBenchCase} and
 * import that module in `cli.ts`, next to `import "./cases.ts";` (see `case.ts`).
 *
 * @module
 */
export * from "./case.ts";
export * from "./timing.ts";
export * from "./run.ts";
export * from "./peer.ts";
export { BENCH_REFINER, networkCase } from "./cases.ts";
