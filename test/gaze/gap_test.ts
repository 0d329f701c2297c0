import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend/mod.ts";
import {
  colorizeMap,
  domainSamples,
  drawLandmarks,
  writeDomainSamples,
} from "../../lib/data/samples.ts";
import {
  ensureGapDataset,
  GAP_CELLS,
  GAP_FORMAT,
  gapDatasetDir,
  gapMarkdownTable,
  measureDomainGap,
  readGapResult,
  seedStat,
} from "../../lib/gaze/gap.ts";
import { main, parseSeeds } from "../../tasks/domain_gap.ts";
import { UsageError } from "../../lib/util/cli.ts";

await initBackend({ backend: "wasm" });

/** Every number anywhere in `value` (recursively). */
function numbers(value: unknown, out: number[] = []): number[] {
  if (typeof value === "number") out.push(value);
  else if (Array.isArray(value)) { for (const v of value) numbers(v, out); }
  else if (value && typeof value === "object") {
    for (const v of Object.values(value)) numbers(v, out);
  }
  return out;
}

Deno.test("domain gap: writes gap.json with every field, finite numbers, and reuses its data sets", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "eyegan-gap-" });
  try {
    const options = {
      nTrain: 48,
      nTest: 12,
      steps: 2,
      seeds: [0, 1],
      dataDir: `${tmp}/data`,
      out: `${tmp}/run`,
      estimator: { batchSize: 8, hidden: [16], widthMultiplier: 0.25 },
      quiet: true,
    };
    const before = tf.memory().numTensors;
    const first = await measureDomainGap(options);
    assert.equal(tf.memory().numTensors, before, "no tensors leak");
    assert.ok(Object.values(first.data).every((d) => !d.reused), "first run generates");

    const result = await readGapResult(`${tmp}/run/gap.json`);
    assert.equal(result.format, GAP_FORMAT);
    assert.equal(result.complete, true);
    assert.deepEqual(result.seeds, [0, 1]);
    assert.deepEqual(result.seeds_requested, [0, 1]);
    assert.equal(result.per_seed.length, 2);
    assert.equal(result.estimator.steps, 2);
    assert.equal(result.estimator.batchSize, 8);
    for (const key of ["synthetic_train", "synthetic_test", "real_train", "real_test"] as const) {
      const d = result.data[key];
      assert.equal(d.count, key.endsWith("train") ? 48 : 12);
      assert.ok((await Deno.stat(`${d.dir}/meta.json`)).isFile);
    }
    for (const cell of GAP_CELLS) {
      for (const r of result.per_seed) {
        assert.equal(r.errors[cell.id].n, 12);
        assert.ok(Number.isFinite(r.errors[cell.id].meanDeg));
      }
      const s = result.summary[cell.id];
      assert.equal(s.mean_deg.values.length, 2);
      assert.ok(s.mean_deg.std >= 0);
      assert.ok(result.baseline[cell.id].meanDeg > 0);
    }
    for (const r of result.per_seed) {
      assert.ok(Math.abs(r.ratio - r.errors.b.meanDeg / r.errors.a.meanDeg) < 1e-12);
      assert.ok(r.train_seconds.synthetic > 0 && r.train_seconds.real > 0);
    }
    assert.equal(result.ratio_b_over_a.values.length, 2);
    const all = numbers(result);
    assert.ok(all.length > 100 && all.every(Number.isFinite), "every number is finite");
    // Different seeds train different estimators.
    assert.notEqual(result.per_seed[0].errors.a.meanDeg, result.per_seed[1].errors.a.meanDeg);

    const md = await Deno.readTextFile(`${tmp}/run/gap.md`);
    assert.equal(md.trim(), gapMarkdownTable(result));
    assert.match(md, /\| b \| synthetic \| target test \| [\d.]+ ± [\d.]+ \|/);
    assert.match(md, /Gap ratio b\/a/);

    // Second run: the data sets are reused (files untouched), the results identical.
    const mtime = (await Deno.stat(`${result.data.real_train.dir}/images.npy`)).mtime;
    const second = await measureDomainGap({ ...options, seeds: [1], out: undefined });
    assert.ok(Object.values(second.data).every((d) => d.reused), "second run reuses");
    assert.deepEqual((await Deno.stat(`${result.data.real_train.dir}/images.npy`)).mtime, mtime);
    assert.deepEqual(second.per_seed[0].errors, result.per_seed[1].errors, "deterministic");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("domain gap: a later seed that fails leaves the finished ones in gap.json, marked incomplete", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "eyegan-gap-" });
  try {
    const options = {
      nTrain: 32,
      nTest: 8,
      steps: 1,
      seeds: [0, 1, 2],
      dataDir: `${tmp}/data`,
      out: `${tmp}/run`,
      estimator: { batchSize: 8, hidden: [8], widthMultiplier: 0.25 },
      quiet: true,
    };
    // The log line of a finished seed comes after its results are written; failing there
    // stops the measurement before seed 2, as a crash in seed 2 would.
    const failing = {
      ...options,
      quiet: false,
      log: (line: string) => {
        if (line.startsWith("seed 1:")) throw new Error("simulated failure after seed 1");
      },
    };
    const before = tf.memory().numTensors;
    await assert.rejects(measureDomainGap(failing), /simulated failure after seed 1/);
    assert.equal(tf.memory().numTensors, before, "no tensors leak");
    const partial = await readGapResult(`${tmp}/run/gap.json`);
    assert.equal(partial.complete, false);
    assert.deepEqual(partial.seeds, [0, 1]);
    assert.deepEqual(partial.seeds_requested, [0, 1, 2]);
    assert.deepEqual(partial.per_seed.map((r) => r.seed), [0, 1]);
    assert.equal(partial.summary.a.mean_deg.values.length, 2);
    const md = await Deno.readTextFile(`${tmp}/run/gap.md`);
    assert.match(md, /\*\*Incomplete:\*\* 2 of 3 seeds finished \(requested: 0, 1, 2\)/);
    const files = [];
    for await (const e of Deno.readDir(`${tmp}/run`)) files.push(e.name);
    assert.deepEqual(files.sort(), ["gap.json", "gap.md"], "no temporary files are left");

    // Run again to the end: complete, the finished seeds reproduced.
    const full = await measureDomainGap(options);
    const onDisk = await readGapResult(`${tmp}/run/gap.json`);
    assert.equal(onDisk.complete, true);
    assert.deepEqual(onDisk.seeds, [0, 1, 2]);
    assert.deepEqual(full.per_seed[1].errors, partial.per_seed[1].errors);
    assert.doesNotMatch(await Deno.readTextFile(`${tmp}/run/gap.md`), /Incomplete/);

    // A gap.json from before `complete` existed reads as complete, with every seed requested.
    const { complete: _c, seeds_requested: _s, ...legacy } = onDisk;
    await Deno.writeTextFile(`${tmp}/legacy.json`, JSON.stringify(legacy));
    const read = await readGapResult(`${tmp}/legacy.json`);
    assert.equal(read.complete, true);
    assert.deepEqual(read.seeds_requested, [0, 1, 2]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("domain gap: a mismatched data set is regenerated, a matching one reused", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "eyegan-gap-" });
  try {
    const spec = { domain: "real" as const, split: "test" as const, n: 8, seed: 3 };
    const dir = gapDatasetDir(tmp, spec);
    assert.equal(dir, `${tmp}/gap-real-test-n8-s3`);
    const quiet = { quiet: true };
    assert.deepEqual(await ensureGapDataset(dir, spec, quiet), {
      reused: false,
      replaced: undefined,
    });
    assert.deepEqual(await ensureGapDataset(dir, spec, quiet), { reused: true });
    // Tamper with meta.json: a different seed is not the wanted data set.
    const meta = JSON.parse(await Deno.readTextFile(`${dir}/meta.json`));
    await Deno.writeTextFile(`${dir}/meta.json`, JSON.stringify({ ...meta, seed: 4 }));
    const lines: string[] = [];
    const again = await ensureGapDataset(dir, spec, { log: (l) => lines.push(l) });
    assert.equal(again.reused, false);
    assert.match(again.replaced!, /seed is 4, wanted 3/);
    assert.match(lines.join("\n"), /regenerating/);
    assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/meta.json`)).seed, 3);
    // A truncated array is caught by Dataset.open and regenerated too.
    const images = await Deno.readFile(`${dir}/images.npy`);
    await Deno.writeFile(`${dir}/images.npy`, images.subarray(0, images.length - 10));
    const fixed = await ensureGapDataset(dir, spec, quiet);
    assert.match(fixed.replaced!, /images\.npy.*truncated/);
    assert.deepEqual(await ensureGapDataset(dir, spec, quiet), { reused: true });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("domain gap: seed statistics and the task's flags", async () => {
  assert.deepEqual(seedStat([2]), { mean: 2, std: 0, values: [2] });
  const s = seedStat([1, 2, 3]);
  assert.equal(s.mean, 2);
  assert.equal(s.std, 1); // sample standard deviation
  assert.deepEqual(parseSeeds("0, 1,2"), [0, 1, 2]);
  assert.throws(() => parseSeeds("0,0"), UsageError);
  assert.throws(() => parseSeeds("0,x"), UsageError);
  assert.throws(() => parseSeeds("-1"), UsageError);
  await assert.rejects(() => main(["--steps", "0"]), UsageError);
  await assert.rejects(() => main(["--bogus"]), /valid flags: .*--n-train/);
  await assert.rejects(() => measureDomainGap({ seeds: [] }), RangeError);
  await assert.rejects(() => measureDomainGap({ nTrain: 0 }), RangeError);
});

Deno.test("domain-gap task: a tiny end-to-end run prints the table and writes gap.json", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "eyegan-gap-task-" });
  const printed: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => printed.push(a.join(" "));
  try {
    const code = await main([
      ...["--n-train", "32", "--n-test", "8", "--steps", "1", "--seeds", "3", "--batch", "8"],
      ...["--data-dir", `${tmp}/data`, "--out", `${tmp}/run`, "--backend", "wasm", "--quiet"],
    ]);
    assert.equal(code, 0);
  } finally {
    console.log = log;
  }
  try {
    const result = await readGapResult(`${tmp}/run/gap.json`);
    assert.deepEqual(result.seeds, [3]);
    assert.match(result.created_by, /^deno task domain-gap --n-train 32/);
    assert.equal((result.backend as { name: string }).name, "wasm");
    assert.match(printed.join("\n"), /\| a \| synthetic \| synthetic test \|/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("domain samples: both domains, paired rows, sweep and anatomy; small PNGs", async () => {
  const s = domainSamples({ cols: 4, rows: 2 });
  // 4 columns of 60-px tiles with 2-px padding.
  assert.equal(s.synthetic.width, 2 + 4 * 62);
  assert.equal(s.synthetic.height, 2 + 2 * 38);
  assert.equal(s.paired.height, 2 + 2 * 38); // one synthetic row + its twins
  assert.equal(s.sweep.width, 2 + 7 * 62);
  assert.equal(s.anatomy.channels, 3);
  assert.notDeepEqual(s.synthetic.data, s.real.data);
  // The sweep moves the pupil: the darkest column shifts right as yaw goes from +30 to -30.
  const dark = (tile: number) => {
    let best = 0, bestSum = Infinity;
    for (let x = 0; x < 60; x++) {
      let sum = 0;
      for (let y = 8; y < 28; y++) {
        sum += s.sweep.data[(2 + 38 + y) * s.sweep.width + 2 + tile * 62 + x];
      }
      if (sum < bestSum) [best, bestSum] = [x, sum];
    }
    return best;
  };
  assert.ok(
    dark(0) < dark(3) && dark(3) < dark(6),
    `pupil columns ${dark(0)}, ${dark(3)}, ${dark(6)}`,
  );

  const map = colorizeMap(new Uint8Array([0, 1, 2, 3, 4, 5]), { height: 2, width: 3 });
  assert.equal(map.data.length, 18);
  const lm = drawLandmarks(
    { width: 4, height: 4, channels: 1, data: new Uint8Array(16) },
    new Float32Array([1, 1]),
    2,
  );
  assert.deepEqual([...lm.data.subarray((3 * 8 + 3) * 3, (3 * 8 + 3) * 3 + 3)], [255, 0, 0]);

  const tmp = await Deno.makeTempDir({ prefix: "eyegan-samples-" });
  try {
    const files = await writeDomainSamples(tmp);
    assert.equal(files.length, 5);
    for (const f of files) {
      assert.ok(f.bytes > 1000 && f.bytes < 200 * 1024, `${f.path}: ${f.bytes}`);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
