/**
 * The PyTorch peer: runs `bench/peer_refiner_step.py` (same refiner step as `refiner_step`) in a
 * child process and compares medians.
 *
 * Needs `--allow-run=<python>` (the `bench-compare` task grants `/usr/bin/python3`) and a
 * PyTorch for that interpreter (Debian: `apt-get install python3-torch`).
 *
 * @module
 */
import type { BenchResult } from "./run.ts";
import { round3 } from "./timing.ts";

/** The peer's output line (same schema as {@link BenchResult}, `backend: "pytorch-cpu"`). */
export interface PeerResult {
  /** Always `refiner_step`. */
  case: string;
  /** `pytorch-cpu`. */
  backend: string;
  /** Median ms. */
  ms_median: number;
  /** Other fields (ms_min, runs, threads, torch, ...). */
  [key: string]: unknown;
}

/** The case the peer implements. */
export const PEER_CASE = "refiner_step";

/** Options of {@link runPeer}. */
export interface PeerOptions {
  /** Python interpreter (default `/usr/bin/python3`). */
  python?: string;
  /** `torch.set_num_threads` (default 2). */
  threads?: number;
  /** Timed runs. */
  runs: number;
  /** Warm-up runs. */
  warmup: number;
}

/** Path of the peer script, resolved from this module. */
export function peerScriptPath(): string {
  return new URL("../../bench/peer_refiner_step.py", import.meta.url).pathname;
}

/** Runs the peer and parses its JSON line; throws with its stderr if it fails. */
export async function runPeer(options: PeerOptions): Promise<PeerResult> {
  const python = options.python ?? "/usr/bin/python3";
  const args = [
    peerScriptPath(),
    "--threads",
    String(options.threads ?? 2),
    "--runs",
    String(options.runs),
    "--warmup",
    String(options.warmup),
  ];
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(python, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new Error(
        `running ${python} needs --allow-run=${python} (use \`deno task bench-compare\`)`,
      );
    }
    throw new Error(`could not start ${python}: ${e instanceof Error ? e.message : e}`);
  }
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (!out.success) throw new Error(`peer exited with ${out.code}: ${stderr.split("\n").pop()}`);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const parsed = JSON.parse(lines[lines.length - 1]) as PeerResult;
  if (parsed.case !== PEER_CASE || typeof parsed.ms_median !== "number") {
    throw new Error(`unexpected peer output: ${lines[lines.length - 1]}`);
  }
  return parsed;
}

/**
 * The comparison line for one result of the peer's case: `ratio_to_pytorch` = tfjs median /
 * PyTorch median (> 1: slower than PyTorch).
 */
export function ratioLine(result: BenchResult, peer: PeerResult): Record<string, unknown> {
  return {
    case: result.case,
    backend: result.backend,
    peer_backend: peer.backend,
    peer_threads: peer.threads ?? null,
    ms_median: result.ms_median,
    peer_ms_median: peer.ms_median,
    ratio_to_pytorch: round3(result.ms_median / peer.ms_median),
  };
}
