import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import {
  benchCases,
  type BenchResult,
  getBenchCase,
  type PeerResult,
  ratioLine,
  registerBenchCase,
  runBench,
  runPeer,
  summarise,
  timeRuns,
} from "../../lib/bench/mod.ts";
import { benchMain, parseBenchArgs } from "../../lib/bench/cli.ts";

Deno.test("summarise: median of odd and even counts, min, max, mean", () => {
  const odd = summarise([5, 1, 3]);
  assert.deepEqual([odd.medianMs, odd.minMs, odd.maxMs, odd.meanMs], [3, 1, 5, 3]);
  assert.equal(summarise([4, 1, 3, 2]).medianMs, 2.5);
  assert.throws(() => summarise([]), /no samples/);
});

Deno.test("timeRuns: warm-up runs are not timed", async () => {
  let calls = 0;
  const t = await timeRuns(() => {
    calls++;
    return Promise.resolve();
  }, { warmup: 2, runs: 3 });
  assert.equal(calls, 5);
  assert.equal(t.samplesMs.length, 3);
});

Deno.test("parseBenchArgs: defaults, lists, strict flags", () => {
  const d = parseBenchArgs([]);
  assert.equal(d.allBackends, true);
  assert.deepEqual(d.backends, ["tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu"]);
  assert.deepEqual(d.cases.map((c) => c.name).slice(0, 3), [
    "refiner_step",
    "refiner_forward",
    "cyclegan_generator_step",
  ]);
  assert.deepEqual([d.runs, d.warmup, d.peer, d.peerThreads, d.includeSlow], [
    5,
    2,
    false,
    2,
    false,
  ]);
  const a = parseBenchArgs(["--backend", "wasm,cpu", "--case", "refiner_step", "--runs", "3"]);
  assert.deepEqual(a.backends, ["wasm", "cpu"]);
  assert.equal(a.allBackends, false);
  assert.deepEqual(a.cases.map((c) => c.name), ["refiner_step"]);
  assert.throws(() => parseBenchArgs(["--skip-cpu"]), /Unknown option '--skip-cpu'/);
  assert.throws(() => parseBenchArgs(["extra"]), /positional/i);
  assert.throws(() => parseBenchArgs(["--backend", "tpu"]), /unknown backend 'tpu'/);
  assert.throws(() => parseBenchArgs(["--case", "nope"]), /unknown bench case 'nope'/);
  assert.throws(() => parseBenchArgs(["--runs", "0"]), /--runs must be an integer >= 1/);
});

// A tiny case so the runner can be tested on the cpu backend in milliseconds.
registerBenchCase({
  name: "test_tiny_matmul",
  description: "test only",
  setup: () => {
    const a = tf.ones([8, 8]);
    return {
      info: { batch: 8 },
      itemsPerRun: 8,
      run: async () => {
        const y = tf.matMul(a, a);
        await y.data();
        y.dispose();
      },
      dispose: () => a.dispose(),
    };
  },
});

Deno.test("registry: duplicate names rejected, lookups work", () => {
  assert.throws(
    () => registerBenchCase({ ...getBenchCase("test_tiny_matmul") }),
    /already exists/,
  );
  assert.ok(benchCases().some((c) => c.name === "test_tiny_matmul"));
});

Deno.test("runBench: one result per case on cpu with the schema fields, no leaks", async () => {
  const skipped: string[] = [];
  const results: BenchResult[] = [];
  for await (
    const r of runBench({
      backends: ["cpu"],
      cases: [getBenchCase("test_tiny_matmul")],
      runs: 3,
      warmup: 1,
      seed: 0,
      skipSlow: false,
      onSkip: (m) => skipped.push(m),
    })
  ) results.push(r);
  assert.deepEqual(skipped, []);
  assert.equal(results.length, 1);
  const r = results[0];
  assert.equal(r.case, "test_tiny_matmul");
  assert.equal(r.backend, "cpu");
  assert.equal(r.runs, 3);
  assert.equal(r.threads, 1);
  assert.equal(r.batch, 8);
  assert.equal(r.leaked_tensors, 0);
  assert.ok(r.ms_min <= r.ms_median && r.ms_median <= r.ms_max);
  assert.ok(typeof r.items_per_s === "number" && r.items_per_s > 0);
});

Deno.test("runBench: slow backends skipped with a reason when skipSlow", async () => {
  const skipped: string[] = [];
  for await (
    const _ of runBench({
      backends: ["cpu"],
      cases: [getBenchCase("test_tiny_matmul")],
      runs: 1,
      warmup: 0,
      seed: 0,
      skipSlow: true,
      onSkip: (m) => skipped.push(m),
    })
  ) assert.fail("nothing should run");
  assert.match(skipped[0], /backend cpu skipped: .*--include-slow/);
});

Deno.test("benchMain: JSON lines out, exit code 0; ratio line arithmetic", async () => {
  const lines: Record<string, unknown>[] = [];
  const notes: string[] = [];
  const code = await benchMain(
    parseBenchArgs(["--backend", "cpu", "--case", "test_tiny_matmul", "--runs", "1"]),
    { line: (o) => lines.push(o), note: (m) => notes.push(m) },
  );
  assert.equal(code, 0, notes.join("\n"));
  assert.equal(lines.length, 1);
  assert.equal(lines[0].case, "test_tiny_matmul");
  const peer: PeerResult = { case: "refiner_step", backend: "pytorch-cpu", ms_median: 200 };
  const r = { case: "refiner_step", backend: "wasm", ms_median: 1000 } as BenchResult;
  assert.equal(ratioLine(r, peer).ratio_to_pytorch, 5);
});

Deno.test("PyTorch peer: one JSON line in the bench schema (skipped without torch)", async () => {
  let peer: PeerResult;
  try {
    peer = await runPeer({ threads: 1, runs: 1, warmup: 0 });
  } catch (e) {
    const msg = String(e);
    if (/No module named 'torch'|could not start|NotFound/.test(msg)) {
      console.warn(`skipped: ${msg}`);
      return;
    }
    throw e;
  }
  assert.equal(peer.case, "refiner_step");
  assert.equal(peer.backend, "pytorch-cpu");
  assert.equal(peer.threads, 1);
  assert.equal(peer.runs, 1);
  assert.deepEqual(peer.input_shape, [16, 35, 55, 1]);
  assert.equal(peer.params, 296129, "the same refiner as refiner_step");
  assert.ok(peer.ms_median > 0);
});
