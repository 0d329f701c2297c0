import assert from "node:assert/strict";
import {
  Dataset,
  DatasetExistsError,
  DatasetFileError,
  encodeNpyHeader,
  makeDataset,
  NpyFile,
  parseNpyHeader,
  readNpy,
  writeDataset,
  writeNpy,
} from "../../lib/data/dataset.ts";
import { main as makeDataMain, parseMakeDataArgs } from "../../tasks/make_data.ts";

async function tmpDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "eyegan-dataset-test-" });
}

async function listDir(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

async function fileBytes(dir: string): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (const name of await listDir(dir)) out[name] = await Deno.readFile(`${dir}/${name}`);
  return out;
}

Deno.test("npy: header is v1.0, 64-byte aligned, and parses back", () => {
  for (const shape of [[7], [3, 2], [10, 36, 60, 1], [0, 55, 2]]) {
    for (const descr of ["|u1", "<f4"] as const) {
      const h = encodeNpyHeader(descr, shape);
      assert.equal(h.length % 64, 0);
      assert.deepEqual([...h.subarray(0, 8)], [0x93, 78, 85, 77, 80, 89, 1, 0]);
      assert.equal(h[h.length - 1], 0x0a); // newline
      const text = new TextDecoder().decode(h.subarray(10));
      assert.match(text, new RegExp(`^\\{'descr': '\\${descr[0]}${descr.slice(1)}'`));
      if (shape.length === 1) assert.ok(text.includes(`(${shape[0]},)`));
      const p = parseNpyHeader(h, "x.npy");
      assert.deepEqual(p.shape, shape);
      assert.equal(p.descr, descr);
      assert.equal(p.dataOffset, h.length);
    }
  }
});

Deno.test("npy: uint8 and float32 round trip through files", async () => {
  const dir = await tmpDir();
  try {
    const u = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37) % 256);
    await writeNpy(`${dir}/u.npy`, u, [2, 3, 4]);
    const f = Float32Array.from([0, -1.5, 3.25, 1e-8, -2e9, Math.PI]);
    await writeNpy(`${dir}/f.npy`, f, [3, 2]);
    const ru = await readNpy(`${dir}/u.npy`);
    assert.deepEqual(ru.header.shape, [2, 3, 4]);
    assert.deepEqual(ru.data, u);
    const rf = await readNpy(`${dir}/f.npy`);
    assert.equal(rf.header.descr, "<f4");
    assert.deepEqual(rf.data, f);
    const file = await NpyFile.open(`${dir}/f.npy`);
    assert.deepEqual(await file.readRows(1, 2), f.subarray(2));
    file.close();
    await assert.rejects(() => writeNpy(`${dir}/bad.npy`, u, [5, 5]), RangeError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("npy: numpy reads our files (skipped without python3 + numpy)", async () => {
  const dir = await tmpDir();
  try {
    await writeNpy(`${dir}/a.npy`, Float32Array.from([1.5, -2, 3, 4]), [2, 2]);
    await writeNpy(`${dir}/b.npy`, Uint8Array.from([1, 2, 3]), [3]);
    let out;
    try {
      out = await new Deno.Command("python3", {
        args: [
          "-c",
          "import numpy as np,sys;a=np.load(sys.argv[1]);b=np.load(sys.argv[2]);" +
          "print(a.dtype,a.shape,a.tolist(),b.dtype,b.shape,b.tolist())",
          `${dir}/a.npy`,
          `${dir}/b.npy`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch {
      return; // no python3
    }
    if (!out.success) return; // no numpy
    assert.equal(
      new TextDecoder().decode(out.stdout).trim(),
      "float32 (2, 2) [[1.5, -2.0], [3.0, 4.0]] uint8 (3,) [1, 2, 3]",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("npy: corrupt and truncated files give errors naming the file", async () => {
  const dir = await tmpDir();
  try {
    await Deno.writeFile(`${dir}/junk.npy`, new TextEncoder().encode("this is not numpy at all"));
    await assert.rejects(() => NpyFile.open(`${dir}/junk.npy`), (e: Error) => {
      assert.ok(e instanceof DatasetFileError);
      assert.match(e.message, /junk\.npy: not an NPY file/);
      return true;
    });
    await writeNpy(`${dir}/t.npy`, new Uint8Array(100), [10, 10]);
    const bytes = await Deno.readFile(`${dir}/t.npy`);
    await Deno.writeFile(`${dir}/t.npy`, bytes.subarray(0, bytes.length - 7));
    await assert.rejects(() => NpyFile.open(`${dir}/t.npy`), /t\.npy: size .* truncated/);
    const h = encodeNpyHeader("|u1", [2]);
    const bad = new Uint8Array([
      ...h.subarray(0, 10),
      ...new TextEncoder().encode("{'descr': '>i8'"),
    ]);
    await Deno.writeFile(`${dir}/d.npy`, bad);
    await assert.rejects(() => NpyFile.open(`${dir}/d.npy`), /d\.npy: (truncated|malformed)/);
    await assert.rejects(() => NpyFile.open(`${dir}/missing.npy`), /missing\.npy: file not found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dataset: make, open, read batches (float and uint8, shuffled)", async () => {
  const root = await tmpDir();
  try {
    const dir = `${root}/paired`;
    const meta = await makeDataset(dir, { domain: "paired", n: 23, seed: 5, batchSize: 8 });
    assert.equal(meta.count, 23);
    assert.deepEqual(await listDir(root), ["paired"]); // no partial directory left behind
    assert.deepEqual(await listDir(dir), [
      "gaze.npy",
      "head_pose.npy",
      "images.npy",
      "landmarks.npy",
      "maps.npy",
      "meta.json",
      "synthetic.npy",
    ]);
    const ds = await Dataset.open(dir);
    assert.equal(ds.count, 23);
    assert.deepEqual([ds.height, ds.width, ds.channels], [36, 60, 1]);
    const seen: number[] = [];
    let batches = 0;
    for await (
      const b of ds.batches({ batchSize: 10, include: ["gaze", "maps", "synthetic"] })
    ) {
      batches++;
      seen.push(...b.indices);
      assert.ok(b.images instanceof Float32Array);
      assert.equal(b.images.length, b.indices.length * 36 * 60);
      assert.ok(b.images.every((v) => v >= -1 && v <= 1));
      assert.equal(b.gaze!.length, b.indices.length * 2);
      assert.equal(b.maps!.length, b.indices.length * 36 * 60);
      assert.ok(b.synthetic instanceof Float32Array);
    }
    assert.equal(batches, 3);
    assert.deepEqual(seen, Array.from({ length: 23 }, (_, i) => i));
    // Shuffled: a permutation, the same for the same seed, and rows match the indices.
    const order = async (seed: number) => {
      const idx: number[] = [];
      for await (const b of ds.batches({ batchSize: 4, shuffle: seed, dropLast: true })) {
        idx.push(...b.indices);
      }
      return idx;
    };
    const o1 = await order(1);
    assert.equal(o1.length, 20);
    assert.deepEqual(o1, await order(1));
    assert.notDeepEqual(o1, await order(2));
    const allImages = (await ds.readAll("images")) as Uint8Array;
    const allGaze = (await ds.readAll("gaze")) as Float32Array;
    for await (const b of ds.batches({ batchSize: 5, shuffle: 3, format: "uint8" })) {
      for (let k = 0; k < b.indices.length; k++) {
        const i = b.indices[k];
        assert.deepEqual(
          (b.images as Uint8Array).subarray(k * 2160, (k + 1) * 2160),
          allImages.subarray(i * 2160, (i + 1) * 2160),
        );
        assert.equal(b.gaze![2 * k], allGaze[2 * i]);
      }
    }
    ds.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("dataset: same seed -> byte-identical files; other seed or split -> other images", async () => {
  const root = await tmpDir();
  try {
    const dir = `${root}/d`;
    const opts = { domain: "real" as const, n: 12, seed: 7, createdBy: "test" };
    await makeDataset(dir, opts);
    const first = await fileBytes(dir);
    await Deno.remove(dir, { recursive: true });
    await makeDataset(dir, opts);
    assert.deepEqual(await fileBytes(dir), first);
    assert.doesNotMatch(new TextDecoder().decode(first["meta.json"]), /time|date/i);
    await makeDataset(`${root}/s8`, { ...opts, seed: 8 });
    await makeDataset(`${root}/test`, { ...opts, split: "test" });
    const img = first["images.npy"];
    assert.notDeepEqual(await Deno.readFile(`${root}/s8/images.npy`), img);
    assert.notDeepEqual(await Deno.readFile(`${root}/test/images.npy`), img);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("dataset: a failed write leaves nothing complete-looking; force keeps the old set until done", async () => {
  const root = await tmpDir();
  try {
    const dir = `${root}/d`;
    const fail = () => {
      throw new Error("disk full (simulated)");
    };
    await assert.rejects(
      () => makeDataset(dir, { domain: "synthetic", n: 30, batchSize: 10, onProgress: fail }),
      /simulated/,
    );
    assert.deepEqual(await listDir(root), []); // neither d nor d.partial-*
    await makeDataset(dir, { domain: "synthetic", n: 5, seed: 1 });
    const old = await fileBytes(dir);
    await assert.rejects(() => makeDataset(dir, { domain: "synthetic", n: 5 }), DatasetExistsError);
    await assert.rejects(
      () =>
        makeDataset(dir, {
          domain: "synthetic",
          n: 30,
          batchSize: 10,
          force: true,
          onProgress: fail,
        }),
      /simulated/,
    );
    assert.deepEqual(await fileBytes(dir), old); // old data set intact
    assert.deepEqual(await listDir(root), ["d"]);
    await makeDataset(dir, { domain: "synthetic", n: 6, seed: 2, force: true });
    assert.equal((await Dataset.open(dir)).count, 6);
    assert.deepEqual(await listDir(root), ["d"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("dataset: mismatched N, missing meta.json and bad shapes are clear errors", async () => {
  const root = await tmpDir();
  try {
    const dir = `${root}/d`;
    await makeDataset(dir, { domain: "synthetic", n: 4 });
    await writeNpy(`${dir}/gaze.npy`, new Float32Array(6), [3, 2]);
    await assert.rejects(() => Dataset.open(dir), (e: Error) => {
      assert.ok(e instanceof DatasetFileError);
      assert.match(e.message, /gaze\.npy: has 3 samples but images\.npy has 4 \(mismatched N\)/);
      return true;
    });
    await writeNpy(`${dir}/gaze.npy`, new Float32Array(12), [4, 3]);
    await assert.rejects(() => Dataset.open(dir), /gaze\.npy: shape \(4, 3\) does not fit/);
    await writeNpy(`${dir}/gaze.npy`, new Uint8Array(8), [4, 2]);
    await assert.rejects(() => Dataset.open(dir), /gaze\.npy: dtype \|u1, expected <f4/);
    await Deno.remove(`${dir}/gaze.npy`);
    await assert.rejects(() => Dataset.open(dir), /gaze\.npy: missing/);
    await Deno.remove(`${dir}/meta.json`);
    await assert.rejects(() => Dataset.open(dir), /meta\.json: not found/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("dataset: writeDataset (in memory) is readable, e.g. an imported set with 2-D head pose", async () => {
  const root = await tmpDir();
  try {
    const n = 3;
    await writeDataset(`${root}/imp`, {
      arrays: {
        images: { data: new Uint8Array(n * 36 * 60), shape: [n, 36, 60, 1] },
        gaze: { data: new Float32Array(n * 2), shape: [n, 2] },
        head_pose: { data: new Float32Array(n * 2), shape: [n, 2] },
      },
      meta: { source: "test", n },
      extraFiles: { "files.txt": "a\nb\nc\n" },
    });
    const ds = await Dataset.open(`${root}/imp`);
    assert.equal(ds.count, 3);
    assert.deepEqual(ds.arrays.sort(), ["gaze", "head_pose", "images"]);
    await assert.rejects(
      () => writeDataset(`${root}/imp`, { arrays: {}, meta: {} }),
      DatasetExistsError,
    );
    ds.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("make-data task: strict flags, writes a data set, refuses to overwrite", async () => {
  assert.throws(
    () => parseMakeDataArgs(["--domain", "real", "--n", "5", "--out", "x", "--bogus"]),
    {
      message: /Unknown option '--bogus'[\s\S]*valid flags: --domain, --n, --out/,
    },
  );
  assert.throws(
    () => parseMakeDataArgs(["--domain", "fake", "--n", "5", "--out", "x"]),
    /--domain/,
  );
  assert.throws(() => parseMakeDataArgs(["--domain", "real", "--n", "0", "--out", "x"]), /--n/);
  assert.throws(
    () => parseMakeDataArgs(["--domain", "real", "--n", "5", "--out", "x", "--size", "36"]),
    /--size/,
  );
  const a = parseMakeDataArgs([
    "--domain",
    "paired",
    "--n",
    "5",
    "--out",
    "x",
    "--size",
    "128x128",
  ]);
  assert.deepEqual([a.height, a.width, a.channels, a.seed, a.split], [128, 128, 1, 0, "train"]);
  assert.equal(
    parseMakeDataArgs(["--domain", "real", "--n", "1", "--out", "x", "--seed", "abc"]).seed,
    "abc",
  );
  const root = await tmpDir();
  try {
    const args = ["--domain", "real", "--n", "6", "--out", `${root}/r`, "--seed", "3", "--quiet"];
    assert.equal(await makeDataMain(args), 0);
    const meta = JSON.parse(await Deno.readTextFile(`${root}/r/meta.json`));
    assert.equal(meta.count, 6);
    assert.equal(meta.domain, "real");
    assert.match(meta.created_by, /^deno task make-data --domain real --n 6/);
    assert.equal(await makeDataMain(args), 1); // exists
    assert.equal(await makeDataMain([...args, "--force"]), 0);
    assert.equal(await makeDataMain(["--n", "3"]), 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
