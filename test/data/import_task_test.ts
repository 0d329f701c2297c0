import assert from "node:assert/strict";
import { main } from "../../tasks/import_data.ts";
import { saveImported } from "../../lib/data/import/mod.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { makeMpiiEyes, mpiiGazeMat } from "../fixtures/matv5_writer.ts";
import { garbage, mat73Bytes, pngBytes } from "../fixtures/bad_inputs.ts";
import { makeUnityEyesPair } from "../fixtures/unityeyes_fixture.ts";
import { encodeJpeg } from "../../lib/image/io.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MPII = new URL("../../../shared/data/mpiigaze-p00-unlabelled/images", import.meta.url)
  .pathname;

/** Runs the task in-process, capturing what it prints. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log, error = console.error;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    const code = await main(argv);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** The shape in an .npy header. */
async function npyShape(path: string): Promise<number[]> {
  const bytes = await Deno.readFile(path);
  const len = new DataView(bytes.buffer).getUint16(8, true);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + len));
  const m = /'shape': \(([^)]*)\)/.exec(header)!;
  return m[1].split(",").filter((s) => s.trim()).map(Number);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function siblings(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("import-data CLI: a real subprocess run and a usage error", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "eyegan_task_" });
  try {
    const cmd = (...args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          `--allow-write=${tmp}`,
          "--allow-env",
          "--allow-ffi",
          `${ROOT}tasks/import_data.ts`,
          ...args,
        ],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const ok = await cmd(
      "--format",
      "images",
      "--in",
      MPII,
      "--out",
      `${tmp}/real`,
      "--limit",
      "50",
    );
    const stdout = new TextDecoder().decode(ok.stdout);
    assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
    assert.match(stdout, /50 samples, 36x60x1 \(HxWxC\), unlabelled/);
    assert.match(new TextDecoder().decode(ok.stderr), /50\/50/); // the progress bar
    assert.deepEqual(await npyShape(`${tmp}/real/images.npy`), [50, 36, 60, 1]);
    assert.equal(await exists(`${tmp}/real/gaze.npy`), false);
    const meta = JSON.parse(await Deno.readTextFile(`${tmp}/real/meta.json`));
    assert.equal(meta.labelled, false);
    assert.match(meta.created_by, /^deno task import-data --format images/);
    // The project's dataset reader opens it.
    const d = await Dataset.open(`${tmp}/real`);
    try {
      assert.equal(d.count, 50);
      assert.equal(d.meta.domain, "real");
      assert.deepEqual(d.arrays, ["images"]);
      const first = await d.batches({ batchSize: 8, format: "uint8" }).next();
      assert.equal(first.value!.images.length, 8 * 36 * 60);
      assert.equal(first.value!.gaze, undefined);
    } finally {
      d.close();
    }
    const sources = (await Deno.readTextFile(`${tmp}/real/sources.txt`)).trim().split("\n");
    assert.deepEqual(sources.slice(0, 2), ["0000.png", "0001.png"]);
    const bad = await cmd("--format", "images", "--bogus");
    assert.equal(bad.code, 2);
    assert.match(new TextDecoder().decode(bad.stderr), /Unknown option '--bogus'[\s\S]*Usage:/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("import-data CLI: bad command lines exit 2 with a reason", async () => {
  const cases: [string[], RegExp][] = [
    [["--in", "x", "--out", "y"], /missing --format/],
    [["--format", "images", "--out", "y"], /missing --in/],
    [["--format", "images", "--in", "x"], /missing --out/],
    [["--format", "hdf5", "--in", "x", "--out", "y"], /unknown --format "hdf5"; use one of/],
    [["--format", "images", "--in", "x", "--out", "y", "--size", "36by60"], /--size must be/],
    [["--format", "images", "--in", "x", "--out", "y", "--size", "0x60"], /--size must be/],
    [["--format", "images", "--in", "x", "--out", "y", "--channels", "2"], /--channels must/],
    [["--format", "images", "--in", "x", "--out", "y", "--limit", "0"], /--limit must/],
    [["--format", "images", "--in", "x", "--out", "y", "extra"], /positional/i],
    [["--format", "images", "--in", "x", "--out", "y", "--nope"], /Unknown option '--nope'/],
  ];
  for (const [argv, re] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 2, argv.join(" "));
    assert.match(r.err, re);
    assert.match(r.err, /Usage:/);
  }
  const help = await run("--help");
  assert.equal(help.code, 0);
  assert.match(help.out, /--skip-bad/);
});

Deno.test("import-data CLI: never clobbers without --force, never destroys on failure", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "eyegan_task_" });
  try {
    const good = `${tmp}/good`, broken = `${tmp}/broken`, out = `${tmp}/out`;
    await Deno.mkdir(good);
    await Deno.mkdir(broken);
    for (const n of ["a", "b", "c"]) {
      await Deno.writeFile(`${good}/${n}.png`, await pngBytes(20, 12));
    }
    await Deno.writeFile(`${broken}/a.png`, await pngBytes(20, 12));
    await Deno.writeFile(`${broken}/b.png`, garbage());
    // An existing dataset (marked) at --out.
    await Deno.mkdir(out);
    await Deno.writeTextFile(`${out}/marker.txt`, "old");
    const q = ["-q", "--format", "images"];

    let r = await run(...q, "--in", good, "--out", out);
    assert.equal(r.code, 1);
    assert.match(r.err, /out already exists and is not empty; .*--force/);
    assert.equal(await Deno.readTextFile(`${out}/marker.txt`), "old");

    // A failing import with --force leaves the old dataset and no temporary directory.
    r = await run(...q, "--in", broken, "--out", out, "--force");
    assert.equal(r.code, 1);
    assert.match(r.err, /broken\/b\.png: not a readable image/);
    assert.match(r.err, /--skip-bad/);
    assert.equal(await Deno.readTextFile(`${out}/marker.txt`), "old");
    assert.deepEqual(await siblings(tmp), ["broken", "good", "out"]);

    // --force with a good import replaces it.
    r = await run(...q, "--in", good, "--out", out, "--force");
    assert.equal(r.code, 0, r.err);
    assert.equal(await exists(`${out}/marker.txt`), false);
    assert.deepEqual(await npyShape(`${out}/images.npy`), [3, 12, 20, 1]);
    assert.deepEqual(await siblings(tmp), ["broken", "good", "out"]);

    // --skip-bad reports the count and the reasons.
    r = await run(...q, "--in", broken, "--out", `${tmp}/skipped`, "--skip-bad");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /1 samples/);
    assert.match(r.out, /skipped 1 bad input\(s\); first:\n\s+.*b\.png: not a readable image/);

    // An empty folder and a missing one: exit 1, nothing written.
    await Deno.mkdir(`${tmp}/empty`);
    r = await run(...q, "--in", `${tmp}/empty`, "--out", `${tmp}/o2`);
    assert.equal(r.code, 1);
    assert.match(r.err, /empty: no \.png, \.jpg or \.jpeg images/);
    r = await run(...q, "--in", `${tmp}/missing`, "--out", `${tmp}/o2`);
    assert.equal(r.code, 1);
    assert.match(r.err, /missing: no such directory/);
    assert.equal(await exists(`${tmp}/o2`), false);
    // An existing EMPTY folder is a fine destination.
    r = await run(...q, "--in", good, "--out", `${tmp}/empty`);
    assert.equal(r.code, 0, r.err);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("import-data CLI: MPIIGaze files, v7.3 rejected with advice", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "eyegan_task_" });
  try {
    await Deno.mkdir(`${tmp}/in/p00`, { recursive: true });
    await Deno.writeFile(
      `${tmp}/in/p00/day01.mat`,
      mpiiGazeMat(makeMpiiEyes(3, 1), makeMpiiEyes(2, 2)),
    );
    let r = await run(
      "-q",
      "--format",
      "mpiigaze",
      "--in",
      `${tmp}/in`,
      "--out",
      `${tmp}/out`,
      "--size",
      "35x55",
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /5 samples, 35x55x1 \(HxWxC\), gaze-labelled, with head pose/);
    assert.deepEqual(await npyShape(`${tmp}/out/images.npy`), [5, 35, 55, 1]);
    assert.deepEqual(await npyShape(`${tmp}/out/gaze.npy`), [5, 2]);
    assert.deepEqual(await npyShape(`${tmp}/out/head_pose.npy`), [5, 3]);
    const d = await Dataset.open(`${tmp}/out`);
    assert.deepEqual(d.arrays.sort(), ["gaze", "head_pose", "images"]);
    assert.equal(d.meta.domain, "real");
    const gaze = await d.readAll("gaze");
    assert.ok(gaze.every(Number.isFinite));
    d.close();
    await Deno.writeFile(`${tmp}/in/p00/day02.mat`, mat73Bytes());
    r = await run("-q", "--format", "mpiigaze", "--in", `${tmp}/in`, "--out", `${tmp}/out2`);
    assert.equal(r.code, 1);
    assert.match(r.err, /day02\.mat: this is a MAT v7\.3 \(HDF5\) file.*-v7.*--format images/);
    assert.equal(await exists(`${tmp}/out2`), false);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("saveImported: a writer that fails leaves nothing behind", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "eyegan_save_" });
  try {
    const ds = {
      images: new Uint8Array(4),
      n: 1,
      height: 2,
      width: 2,
      channels: 1 as const,
      domain: "real" as const,
      files: ["x"],
      meta: {},
    };
    const failing = async (dir: string) => {
      await Deno.writeTextFile(`${dir}/images.npy`, "half");
      throw new Error("disk full");
    };
    await assert.rejects(saveImported(`${tmp}/ds`, ds, { writer: failing }), /disk full/);
    assert.deepEqual(await siblings(tmp), []);
    await Deno.mkdir(`${tmp}/ds`);
    await Deno.writeTextFile(`${tmp}/ds/meta.json`, "{}");
    await assert.rejects(
      saveImported(`${tmp}/ds`, ds, { writer: failing, force: true }),
      /disk full/,
    );
    assert.deepEqual(await siblings(tmp), ["ds"]);
    assert.equal(await Deno.readTextFile(`${tmp}/ds/meta.json`), "{}");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("import-data CLI: UnityEyes v1 renders give landmarks.npy readable as a dataset", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "eyegan_task_" });
  try {
    await Deno.mkdir(`${tmp}/in`);
    const pair = makeUnityEyesPair({ pitch: 0.1, yaw: -0.1 });
    await Deno.writeFile(`${tmp}/in/1.jpg`, await encodeJpeg(pair.image, 90));
    await Deno.writeTextFile(`${tmp}/in/1.json`, pair.json);
    const r = await run("-q", "--format", "unityeyes", "--in", `${tmp}/in`, "--out", `${tmp}/o`);
    assert.equal(r.code, 0, r.err);
    const d = await Dataset.open(`${tmp}/o`);
    assert.deepEqual(d.arrays.sort(), ["gaze", "images", "landmarks"]);
    assert.equal(d.meta.domain, "synthetic");
    assert.deepEqual((d.meta.landmarks as Record<string, number[]>).iris, [16, 48]);
    const lm = await d.readAll("landmarks");
    assert.equal(lm.length, 110);
    d.close();
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
