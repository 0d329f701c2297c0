/**
 * Command line of the benchmark (`tasks/bench.ts`): flag parsing and the main loop that prints
 * one JSON object per line to stdout and reasons for skips to stderr.
 *
 * @module
 */
import { type BackendName, parseBackendName } from "../backend/mod.ts";
import { intFlag, listFlag, parsedFlag, parseFlags, UsageError } from "../util/cli.ts";
import { type BenchCase, benchCases, getBenchCase } from "./case.ts";
import "./cases.ts";
import "./cases_data.ts";
import { PEER_CASE, type PeerResult, ratioLine, runPeer } from "./peer.ts";
import { ALL_BACKENDS, runBench } from "./run.ts";

/** Usage text. */
export const BENCH_USAGE = `usage: deno task bench [flags]
  --backend LIST    comma-separated backends (${ALL_BACKENDS.join(", ")}, auto) or "all" (default):
                    all = every backend that starts, except slow ones (cpu, software WebGPU)
  --include-slow    with "all", also run cpu and a software WebGPU adapter
  --case LIST       comma-separated case names or "all" (default); see --list
  --runs N          timed runs per case (default 5)
  --warmup N        untimed warm-up runs per case (default 2)
  --seed N          seed of weights and inputs (default 0)
  --peer            also run the PyTorch peer of refiner_step and print ratio lines
                    (needs --allow-run; use \`deno task bench-compare\`)
  --peer-threads N  torch.set_num_threads for the peer (default 2)
  --peer-python P   interpreter for the peer (default /usr/bin/python3)
  --list            list the cases and exit
  --help            this text`;

/** Parsed flags. */
export interface BenchArgs {
  /** Backends in order. */
  backends: BackendName[];
  /** True when `all` was asked for. */
  allBackends: boolean;
  /** Run slow backends under `all`. */
  includeSlow: boolean;
  /** Cases in order. */
  cases: BenchCase[];
  /** Timed runs. */
  runs: number;
  /** Warm-up runs. */
  warmup: number;
  /** Seed. */
  seed: number;
  /** Run the PyTorch peer. */
  peer: boolean;
  /** Peer threads. */
  peerThreads: number;
  /** Peer interpreter. */
  peerPython: string;
  /** List cases and exit. */
  list: boolean;
  /** Print usage and exit. */
  help: boolean;
}

const FLAGS = {
  backend: { type: "string", default: "all" },
  "include-slow": { type: "boolean", default: false },
  case: { type: "string", default: "all" },
  runs: { type: "string", default: "5" },
  warmup: { type: "string", default: "2" },
  seed: { type: "string", default: "0" },
  peer: { type: "boolean", default: false },
  "peer-threads": { type: "string", default: "2" },
  "peer-python": { type: "string", default: "/usr/bin/python3" },
  list: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

/**
 * Parses the bench flags (strict: unknown flags and stray arguments are errors).
 *
 * @throws {UsageError} for a bad command line: unknown flags (listing the valid ones), unknown
 * backends or cases, bad numbers.
 *
 * @example
 * ```ts
 * import { parseBenchArgs } from "./cli.ts";
 * const a = parseBenchArgs(["--backend", "wasm", "--runs", "3"]);
 * if (a.runs !== 3 || a.backends[0] !== "wasm") throw new Error();
 * ```
 */
export function parseBenchArgs(args: string[]): BenchArgs {
  const { values } = parseFlags(args, FLAGS);
  const allBackends = values.backend === "all";
  const backends = allBackends
    ? [...ALL_BACKENDS]
    : listFlag(values.backend).map((b) => parsedFlag("backend", b, parseBackendName));
  if (backends.length === 0) throw new UsageError("--backend: no backend given");
  const cases = values.case === "all"
    ? benchCases()
    : listFlag(values.case).map((c) => parsedFlag("case", c, getBenchCase));
  return {
    backends,
    allBackends,
    includeSlow: values["include-slow"],
    cases,
    runs: intFlag("runs", values.runs, 1),
    warmup: intFlag("warmup", values.warmup, 0),
    seed: intFlag("seed", values.seed, 0),
    peer: values.peer,
    peerThreads: intFlag("peer-threads", values["peer-threads"], 1),
    peerPython: values["peer-python"],
    list: values.list,
    help: values.help,
  };
}

/** Where the bench writes: stdout lines (JSON) and stderr lines (messages). */
export interface BenchOutput {
  /** One JSON object. */
  line(obj: Record<string, unknown>): void;
  /** A message for people. */
  note(message: string): void;
}

/** The default output: JSON lines on stdout, notes on stderr. */
export const CONSOLE_OUTPUT: BenchOutput = {
  line: (obj) => console.log(JSON.stringify(obj)),
  note: (message) => console.error(`bench: ${message}`),
};

/**
 * Runs the benchmark for parsed flags. Returns the exit code: 0 when every requested case ran
 * (skipped slow backends under `all` and unavailable backends under `all` are fine), 1 when a
 * case failed, an explicitly requested backend was unavailable, nothing ran, or the peer failed.
 */
export async function benchMain(
  args: BenchArgs,
  out: BenchOutput = CONSOLE_OUTPUT,
): Promise<number> {
  if (args.help) {
    out.note(BENCH_USAGE);
    return 0;
  }
  if (args.list) {
    for (const c of benchCases()) out.line({ case: c.name, description: c.description });
    return 0;
  }
  let failed = false;
  let peer: PeerResult | undefined;
  if (args.peer) {
    if (!args.cases.some((c) => c.name === PEER_CASE)) {
      out.note(`--peer only compares ${PEER_CASE}, which is not among the cases`);
    } else {
      try {
        out.note(`running the PyTorch peer (${args.peerThreads} threads)`);
        peer = await runPeer({
          python: args.peerPython,
          threads: args.peerThreads,
          runs: args.runs,
          warmup: args.warmup,
        });
        out.line(peer);
      } catch (e) {
        failed = true;
        out.note(`peer failed: ${e instanceof Error ? e.message : e}`);
      }
    }
  }
  let ran = 0;
  for await (
    const result of runBench({
      backends: args.backends,
      cases: args.cases,
      runs: args.runs,
      warmup: args.warmup,
      seed: args.seed,
      skipSlow: args.allBackends && !args.includeSlow,
      onSkip: (message) => {
        // under `all`, unavailable and slow backends are expected; anything else is a failure
        const expected = args.allBackends && message.startsWith("backend ");
        if (!expected) failed = true;
        out.note(message);
      },
    })
  ) {
    ran++;
    out.line(result);
    if (peer && result.case === PEER_CASE) out.line(ratioLine(result, peer));
  }
  if (ran === 0) {
    out.note("nothing ran");
    return 1;
  }
  return failed ? 1 : 0;
}
