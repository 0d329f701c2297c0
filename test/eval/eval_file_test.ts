import assert from "node:assert/strict";
import {
  canonicalJson,
  differenceSetting,
  GAZE_EVAL_FORMAT,
  isSeedFollowing,
  readGazeEval,
  SEED_FOLLOWING_SETTINGS,
} from "../../lib/eval/eval_file.ts";
import { canonicalJson as cacheCanonicalJson } from "../../lib/eval/estimator_cache.ts";
import {
  exists,
  isRecord,
  readJson,
  writeFileAtomic,
  writeJsonAtomic,
  writeTextAtomic,
} from "../../lib/util/fs.ts";
import * as trainRun from "../../lib/train/run.ts";

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("atomic writes: replace the file whole, leave no temporary file, keep the old on failure", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-fs-" });
  try {
    const path = `${dir}/a.json`;
    assert.equal(await exists(path), false);
    await writeJsonAtomic(path, { b: 1, a: [1, 2] });
    assert.equal(await Deno.readTextFile(path), '{\n  "b": 1,\n  "a": [\n    1,\n    2\n  ]\n}\n');
    assert.deepEqual(await readJson(path), { b: 1, a: [1, 2] });
    await writeTextAtomic(`${dir}/t.md`, "é\n");
    assert.equal(await Deno.readTextFile(`${dir}/t.md`), "é\n");
    await writeFileAtomic(`${dir}/bin`, new Uint8Array([0, 255]));
    assert.deepEqual(await Deno.readFile(`${dir}/bin`), new Uint8Array([0, 255]));
    assert.ok(await exists(dir));
    // Concurrent writers of one file never share a temporary file; one of them wins whole.
    await Promise.all([1, 2, 3, 4].map((k) => writeJsonAtomic(path, { k })));
    assert.ok([1, 2, 3, 4].includes((await readJson<{ k: number }>(path)).k));
    assert.deepEqual(await names(dir), ["a.json", "bin", "t.md"]);
    // The rename fails (a non-empty folder is in the way): the temporary file is removed.
    await Deno.mkdir(`${dir}/busy/x`, { recursive: true });
    await assert.rejects(writeJsonAtomic(`${dir}/busy`, { lost: true }));
    assert.deepEqual(await names(dir), ["a.json", "bin", "busy", "t.md"]);
    // Errors name the file.
    await assert.rejects(readJson(`${dir}/missing.json`), /missing\.json: not found/);
    await Deno.writeTextFile(`${dir}/bad.json`, "{");
    await assert.rejects(readJson(`${dir}/bad.json`), /bad\.json: not valid JSON/);
    // lib/train/run.ts keeps its exported names.
    assert.equal(trainRun.writeFileAtomic, writeFileAtomic);
    assert.equal(trainRun.writeJsonAtomic, writeJsonAtomic);
    assert.equal(trainRun.readJson, readJson);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readGazeEval: names the file when it is missing, not JSON, or another format", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-fs-" });
  try {
    await assert.rejects(readGazeEval(`${dir}/eval.json`), /eval\.json: not found/);
    await Deno.writeTextFile(`${dir}/eval.json`, "not json");
    await assert.rejects(readGazeEval(`${dir}/eval.json`), /eval\.json: not valid JSON/);
    await Deno.writeTextFile(`${dir}/eval.json`, JSON.stringify({ format: "other/1" }));
    await assert.rejects(readGazeEval(`${dir}/eval.json`), /format "other\/1" is not/);
    await Deno.writeTextFile(`${dir}/eval.json`, JSON.stringify({ format: GAZE_EVAL_FORMAT }));
    assert.equal((await readGazeEval(`${dir}/eval.json`)).format, GAZE_EVAL_FORMAT);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("canonicalJson: keys sorted at every level; one function for settings and cache keys", () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 3 } }),
    '{"a":{"c":3,"d":[2,{"e":0,"f":1}]},"b":1}',
  );
  assert.equal(canonicalJson({ x: 1, y: 2 }), canonicalJson({ y: 2, x: 1 }));
  assert.equal(canonicalJson(undefined), "undefined");
  assert.equal(cacheCanonicalJson, canonicalJson);
});

Deno.test("seed replicates: the settings that follow the seed, one list for every reader", () => {
  assert.deepEqual(SEED_FOLLOWING_SETTINGS, ["estimator.seed", "realism.features.cache_key"]);
  assert.equal(differenceSetting("estimator.steps: 600 vs 300"), "estimator.steps");
  assert.equal(differenceSetting("skipped"), "skipped");
  assert.ok(isSeedFollowing("estimator.seed: 0 vs 1"));
  assert.ok(isSeedFollowing('realism.features.cache_key: "a" vs "b"'));
  assert.ok(isSeedFollowing("estimator.seed"));
  assert.ok(!isSeedFollowing("estimator.steps: 600 vs 300"));
  assert.ok(!isSeedFollowing("realism.features.network: 1 vs 2"));
});

Deno.test("isRecord: a JSON object, not null or an array", () => {
  assert.ok(isRecord({}) && isRecord({ a: 1 }));
  assert.ok(!isRecord(null) && !isRecord([]) && !isRecord("x") && !isRecord(1));
});
