/**
 * Shared by the training-task tests: a temp folder with tiny data sets and the flags of a smoke
 * run on them, quiet task options, and console capture.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { makeDataset } from "../../lib/data/dataset.ts";
import { type GazeEvalFile, readGazeEval } from "../../lib/eval/eval_file.ts";
import { writeRunReportWithMethodSections } from "../../lib/report/run_report_sections.ts";
import { CheckpointError } from "../../lib/train/checkpoint.ts";
import type { GitInfo } from "../../lib/train/run.ts";
import { main as evalMain } from "../../tasks/eval_gaze.ts";

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

/**
 * `options` of a training task that stop it, as Ctrl-C would, once the samples of `step` are
 * written.
 */
export function stopAtSample<T extends object>(
  options: T,
  step: number,
): T & { signal: AbortSignal; onSample: (step: number) => void } {
  const stop = new AbortController();
  return {
    ...options,
    signal: stop.signal,
    onSample: (s: number) => {
      if (s === step) stop.abort();
    },
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

/**
 * Asserts that `resume` (a resume from the doctored checkpoint `file`, case `name`) is refused
 * with a {@link CheckpointError} that names the file and matches `pattern`; then removes `file`
 * and checks that the run folder `run` is still the {@link runFolderSnapshot} `before`.
 */
export async function assertResumeRefused(
  resume: () => Promise<unknown>,
  c: {
    file: string;
    name: string;
    pattern: RegExp;
    run: string;
    before: Record<string, Uint8Array>;
  },
): Promise<void> {
  const { file, name, pattern } = c;
  await assert.rejects(resume, (e: unknown) => {
    assert.ok(e instanceof CheckpointError, `${name}: ${e}`);
    assert.ok(e.message.startsWith(`${file}: `), `${name} names the file: ${e.message}`);
    assert.match(e.message, pattern, name);
    return true;
  });
  await Deno.remove(file);
  assertSameSnapshot(await runFolderSnapshot(c.run), c.before, name);
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

/**
 * The HTML of a report's level-2 section `heading`, from its heading to the next level-2 heading
 * (or the end); `undefined` when the report has no such section.
 */
export function reportSection(html: string, heading: string): string | undefined {
  const parts = html.split(/(?=<h2 id=")/);
  return parts.find((p) => /^<h2 id="[^"]*">([^<]*)<\/h2>/.exec(p)?.[1] === heading);
}

/** The flags of a tiny `eval-gaze` on a fixture's data (estimators of 4 steps, its cache). */
export function tinyEvalFlags(fx: Pick<Fixture, "root" | "data">): string[] {
  const { root, data } = fx;
  return [
    "--synthetic",
    data.syn,
    "--target-train",
    data.tgt,
    "--target-test",
    data.tgtTest,
    "--steps",
    "4",
    "--width",
    "0.25",
    "--batch",
    "8",
    "--classifier-steps",
    "4",
    "--realism-limit",
    "16",
    "--cache",
    `${root}/cache`,
    "--quiet",
  ];
}

/**
 * Rewrites a finished run's report from the run folder (`writeRunReportWithMethodSections`) and
 * checks that it is the training task's, byte for byte, with the method's `sections` (and
 * `method`, when given), and that no tensors leak.
 */
export async function assertRebuiltReport(
  run: string,
  sections: string[],
  method?: string,
): Promise<void> {
  const trained = await Deno.readTextFile(`${run}/report.html`);
  const before = tf.memory().numTensors;
  const r = await writeRunReportWithMethodSections(run);
  assert.equal(tf.memory().numTensors, before, "no tensors leak (the networks released)");
  assert.equal(r.note, undefined);
  if (method !== undefined) assert.equal(r.method, method);
  assert.deepEqual(r.methodSections, sections);
  assert.equal(await Deno.readTextFile(`${run}/report.html`), trained);
}

/**
 * Runs `eval-gaze --refiner RUN --out OUT --no-report` (tiny settings) and checks that it exits
 * 0.
 *
 * @returns the evaluation it wrote (`OUT/eval.json`).
 */
export async function evalGazeRefiner(
  fx: Pick<Fixture, "root" | "data">,
  run: string,
  out: string,
): Promise<GazeEvalFile> {
  const { value: code, text } = await captured(() =>
    evalMain(["--refiner", run, "--out", out, ...tinyEvalFlags(fx), "--no-report"])
  );
  assert.equal(code, 0, text);
  return await readGazeEval(`${out}/eval.json`);
}

/**
 * Runs `eval-gaze --refiner RUN` into the run itself (tiny settings, `extra` flags added) and
 * checks that it leaks no tensors, prints no note, and that the rewritten report keeps the
 * method's sections: those in `same` exactly as the training task wrote them (grids, captions,
 * text), those in `present` by heading.
 *
 * @returns the rewritten report's HTML.
 */
export async function evalGazeIntoRun(
  fx: Pick<Fixture, "root" | "data">,
  run: string,
  sections: { same: string[]; present?: string[] },
  extra: string[] = [],
): Promise<string> {
  const trained = await Deno.readTextFile(`${run}/report.html`);
  const evalBefore = await Deno.readTextFile(`${run}/eval.json`).catch(() => "");
  const before = tf.memory().numTensors;
  const { value: code, text } = await captured(() =>
    evalMain(["--refiner", run, ...tinyEvalFlags(fx), ...extra])
  );
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  assert.equal(code, 0, text);
  assert.doesNotMatch(text, /note:/, "the sections were rebuilt");
  assert.ok(text.includes(`wrote ${run}/report.html`), text);
  assert.notEqual(await Deno.readTextFile(`${run}/eval.json`), evalBefore, "eval.json rewritten");
  const html = await Deno.readTextFile(`${run}/report.html`);
  assert.ok(html.includes("Evaluation"), "the report shows the evaluation");
  const title = (h: string) => /<title>([^<]*)<\/title>/.exec(h)?.[1];
  assert.equal(title(html), title(trained), "the training task's title");
  for (const heading of sections.same) {
    const now = reportSection(html, heading);
    assert.ok(now, `the rewritten report keeps '${heading}'`);
    assert.equal(now, reportSection(trained, heading), `'${heading}' as the training wrote it`);
  }
  for (const heading of sections.present ?? []) {
    assert.ok(reportSection(html, heading), `the rewritten report keeps '${heading}'`);
  }
  return html;
}
