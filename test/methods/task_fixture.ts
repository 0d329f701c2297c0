/**
 * Shared by the training-task tests: a temp folder with tiny data sets and the flags of a smoke
 * run on them, quiet task options, and console capture.
 *
 * @module
 */
import { makeDataset } from "../../lib/data/dataset.ts";
import type { GitInfo } from "../../lib/train/run.ts";

/** A test's temp folder: tiny data sets, and the flags of a smoke run on them. */
export interface Fixture {
  /** The temp folder (removed after the test). */
  root: string;
  /** Data sets: synthetic and real training sets, and their test sets. */
  data: { syn: string; tgt: string; tgtTest: string; synTest: string };
  /** Flags of a smoke run on the data, evaluation settings tiny, cache in the temp folder. */
  smoke: string[];
}

/**
 * Runs `f` with a fresh {@link Fixture} (`train` images per training set, `test` per test set),
 * and removes its folder afterwards, pass or fail.
 */
export async function withFixture(
  options: { prefix: string; train: number; test: number },
  f: (fx: Fixture) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: options.prefix });
  try {
    const data = {
      syn: `${root}/syn`,
      tgt: `${root}/tgt`,
      tgtTest: `${root}/tgt-test`,
      synTest: `${root}/syn-test`,
    };
    const { train, test } = options;
    await makeDataset(data.syn, { domain: "synthetic", n: train, seed: 1, split: "train" });
    await makeDataset(data.tgt, { domain: "real", n: train, seed: 1, split: "train" });
    await makeDataset(data.tgtTest, { domain: "real", n: test, seed: 1, split: "test" });
    await makeDataset(data.synTest, { domain: "synthetic", n: test, seed: 1, split: "test" });
    const smoke = [
      "--preset",
      "smoke",
      "--source",
      data.syn,
      "--target",
      data.tgt,
      "--targetTest",
      data.tgtTest,
      "--syntheticTest",
      data.synTest,
      "--eval.cache",
      `${root}/cache`,
      "--quiet",
    ];
    await f({ root, data, smoke });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Quiet task options that keep the messages and outputs in `lines`. */
export function quiet(): {
  lines: string[];
  print: (m: string) => void;
  output: (m: string) => void;
  git: GitInfo;
  catchSigint: boolean;
} {
  const lines: string[] = [];
  return {
    lines,
    print: (m) => void lines.push(m),
    output: (m) => void lines.push(m),
    git: { commit: "unknown", reason: "test" },
    catchSigint: false,
  };
}

/** Runs `f` with `console.error` (and `console.log`) captured; returns its result and the text. */
export async function captured<T>(f: () => Promise<T>): Promise<{ value: T; text: string }> {
  const parts: string[] = [];
  const { error, log } = console;
  console.error = (...a: unknown[]) => void parts.push(a.join(" "));
  console.log = (...a: unknown[]) => void parts.push(a.join(" "));
  try {
    return { value: await f(), text: parts.join("\n") };
  } finally {
    console.error = error;
    console.log = log;
  }
}

/** The files a resume may change: config.json, env.json, metrics.jsonl and checkpoints/. */
export async function runFolderSnapshot(dir: string): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (const f of ["config.json", "env.json", "metrics.jsonl"]) {
    out[f] = await Deno.readFile(`${dir}/${f}`);
  }
  for await (const e of Deno.readDir(`${dir}/checkpoints`)) {
    out[`checkpoints/${e.name}`] = e.isFile
      ? await Deno.readFile(`${dir}/checkpoints/${e.name}`)
      : new Uint8Array();
  }
  return out;
}

/** Asserts that two {@link runFolderSnapshot}s hold the same files with the same bytes. */
export function assertSameSnapshot(
  after: Record<string, Uint8Array>,
  before: Record<string, Uint8Array>,
  what: string,
): void {
  const keys = (o: Record<string, Uint8Array>) => Object.keys(o).sort().join(", ");
  if (keys(after) !== keys(before)) {
    throw new Error(`${what}: the run folder's files changed: ${keys(before)} -> ${keys(after)}`);
  }
  for (const [f, bytes] of Object.entries(before)) {
    const now = after[f];
    if (now.length !== bytes.length || now.some((b, i) => b !== bytes[i])) {
      throw new Error(`${what}: ${f} changed`);
    }
  }
}
