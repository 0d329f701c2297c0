import assert from "node:assert/strict";
import { fromMpiiGazeVector } from "../../lib/data/gaze.ts";
import {
  BadInputError,
  ImportError,
  importMpiiGaze,
  MatFileError,
  parseMpiiGazeMat,
  rodriguesToHeadPose,
  rodriguesToPitchYaw,
} from "../../lib/data/import/mod.ts";
import { makeMpiiEyes, mpiiGazeMat, type MpiiMatOptions } from "../fixtures/matv5_writer.ts";
import { mat73Bytes } from "../fixtures/bad_inputs.ts";

const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

Deno.test("rodriguesToPitchYaw: rotations about y and x by hand", () => {
  const t = 0.3;
  // About y: R e_z = (sin t, 0, cos t) -> yaw t.
  const y = rodriguesToPitchYaw(0, t, 0);
  close(y.pitch, 0);
  close(y.yaw, t);
  // About x: R e_z = (0, -sin t, cos t) -> pitch -t.
  const x = rodriguesToPitchYaw(t, 0, 0);
  close(x.pitch, -t);
  close(x.yaw, 0);
  assert.deepEqual(rodriguesToPitchYaw(0, 0, 0), { pitch: 0, yaw: 0 });
  // About z (the camera axis): pure roll, positive = clockwise in the image (y down).
  const z = rodriguesToHeadPose(0, 0, t);
  close(z.pitch, 0);
  close(z.yaw, 0);
  close(z.roll, t);
});

Deno.test("rodriguesToHeadPose: composed angles come back; mirroring negates yaw and roll", () => {
  // R = Ry(yaw) Rx(-pitch) Rz(roll), built as a matrix, converted to a Rodrigues vector.
  const mul = (a: number[], b: number[]) =>
    Array.from({ length: 9 }, (_, k) => {
      const i = Math.floor(k / 3), j = k % 3;
      return a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
    });
  const rx = (a: number) => [1, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a)];
  const ry = (a: number) => [Math.cos(a), 0, Math.sin(a), 0, 1, 0, -Math.sin(a), 0, Math.cos(a)];
  const rz = (a: number) => [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1];
  const toRodrigues = (m: number[]): [number, number, number] => {
    const theta = Math.acos((m[0] + m[4] + m[8] - 1) / 2);
    const k = theta / (2 * Math.sin(theta));
    return [(m[7] - m[5]) * k, (m[2] - m[6]) * k, (m[3] - m[1]) * k];
  };
  for (const [p, y, r] of [[0.2, -0.3, 0.1], [-0.25, 0.4, -0.2], [0.1, 0.05, 0.3]]) {
    const v = toRodrigues(mul(mul(ry(y), rx(-p)), rz(r)));
    const h = rodriguesToHeadPose(...v);
    close(h.pitch, p, 1e-9);
    close(h.yaw, y, 1e-9);
    close(h.roll, r, 1e-9);
    // Mirror x: M R M has the Rodrigues vector (vx, -vy, -vz).
    const m = rodriguesToHeadPose(v[0], -v[1], -v[2]);
    close(m.pitch, p, 1e-9);
    close(m.yaw, -y, 1e-9);
    close(m.roll, -r, 1e-9);
  }
});

Deno.test("parseMpiiGazeMat: arrays of both eyes", () => {
  const left = makeMpiiEyes(3, 1), right = makeMpiiEyes(2, 2);
  const f = parseMpiiGazeMat(mpiiGazeMat(left, right), "day01.mat");
  assert.equal(f.left.n, 3);
  assert.equal(f.right.n, 2);
  assert.deepEqual([f.left.height, f.left.width], [36, 60]);
  assert.deepEqual([...f.left.image], [...left.image]);
  assert.deepEqual([...f.right.gaze], [...right.gaze]);
  assert.deepEqual([...f.right.pose], [...right.pose]);
});

async function writeTree(files: Record<string, Uint8Array>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "eyegan_mpii_" });
  for (const [rel, bytes] of Object.entries(files)) {
    const path = `${root}/${rel}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(path, bytes);
  }
  return root;
}

Deno.test("importMpiiGaze: folder of participants, left eyes then mirrored right eyes", async () => {
  const l1 = makeMpiiEyes(3, 1), r1 = makeMpiiEyes(2, 2);
  const l2 = makeMpiiEyes(1, 3), r2 = makeMpiiEyes(2, 4);
  const root = await writeTree({
    "Normalized/p00/day01.mat": mpiiGazeMat(l1, r1, { compress: true }),
    "Normalized/p01/day02.mat": mpiiGazeMat(l2, r2, { compress: false }),
    "Normalized/readme.txt": new TextEncoder().encode("not a mat file"),
  });
  try {
    let calls = 0;
    const ds = await importMpiiGaze(`${root}/Normalized`, { onProgress: () => calls++ });
    assert.equal(calls, 2);
    assert.equal(ds.n, 8);
    assert.deepEqual([ds.height, ds.width, ds.channels], [36, 60, 1]);
    assert.equal(ds.gaze!.length, 16);
    assert.equal(ds.headPose!.length, 24);
    assert.equal(ds.domain, "real");
    assert.equal(ds.landmarks, undefined);
    assert.equal(ds.files[0], "p00/day01.mat#left/1");
    assert.equal(ds.files[3], "p00/day01.mat#right/1");
    // Sample 0: left eye as stored.
    assert.deepEqual([...ds.images.subarray(0, 2160)], [...l1.image.subarray(0, 2160)]);
    const g0 = fromMpiiGazeVector(l1.gaze[0], l1.gaze[1], l1.gaze[2]);
    close(ds.gaze![0], g0.pitch);
    close(ds.gaze![1], g0.yaw);
    const h0 = rodriguesToHeadPose(l1.pose[0], l1.pose[1], l1.pose[2]);
    close(ds.headPose![0], h0.pitch);
    close(ds.headPose![1], h0.yaw);
    close(ds.headPose![2], h0.roll);
    // Sample 3: first right eye, mirrored, yaw negated.
    const r = ds.images.subarray(3 * 2160, 4 * 2160);
    for (let y = 0; y < 36; y++) {
      for (let x = 0; x < 60; x++) assert.equal(r[y * 60 + x], r1.image[y * 60 + 59 - x]);
    }
    const g3 = fromMpiiGazeVector(r1.gaze[0], r1.gaze[1], r1.gaze[2]);
    close(ds.gaze![6], g3.pitch);
    close(ds.gaze![7], -g3.yaw);
    const h3 = rodriguesToHeadPose(r1.pose[0], r1.pose[1], r1.pose[2]);
    close(ds.headPose![9], h3.pitch);
    close(ds.headPose![10], -h3.yaw);
    close(ds.headPose![11], -h3.roll);
    const meta = ds.meta as { files: { file: string; left: number; right: number }[] };
    assert.deepEqual(meta.files, [
      { file: "p00/day01.mat", left: 3, right: 2 },
      { file: "p01/day02.mat", left: 1, right: 2 },
    ]);
    assert.equal(ds.meta.labelled, true);

    // One file, resized, 3 channels, limited.
    const small = await importMpiiGaze(`${root}/Normalized/p00/day01.mat`, {
      height: 35,
      width: 55,
      channels: 3,
      limit: 4,
      equalize: true,
    });
    assert.equal(small.n, 4);
    assert.deepEqual([small.height, small.width, small.channels], [35, 55, 3]);
    assert.equal(small.images.length, 4 * 35 * 55 * 3);
    assert.equal(small.files[0], "day01.mat#left/1");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("importMpiiGaze: wrong layouts, truncation and v7.3 are clear errors; --skip-bad", async () => {
  const good = mpiiGazeMat(makeMpiiEyes(2, 1), makeMpiiEyes(2, 2));
  const variant = (o: MpiiMatOptions) => mpiiGazeMat(makeMpiiEyes(2, 1), makeMpiiEyes(2, 2), o);
  const cases: [string, Uint8Array, RegExp][] = [
    ["nodata.mat", variant({ omitData: true }), /no variable 'data'/],
    ["nogaze.mat", variant({ omitLeftField: "gaze" }), /data\.left has no field gaze/],
    [
      "dims.mat",
      variant({ leftImageDims: [2, 60, 36] }),
      /data\.left\.image should be N x 36 x 60, is \[2 x 60 x 36\]/,
    ],
    [
      "flat.mat",
      variant({ leftImageDims: [2 * 36 * 60, 1] }),
      /data\.left\.image should be N x 36 x 60, is \[4320 x 1\]/,
    ],
    ["trunc.mat", good.slice(0, good.length - 100), /truncated|corrupt/],
    ["v73.mat", mat73Bytes(), /MAT v7\.3.*-v7/],
  ];
  const root = await writeTree({
    "a_good.mat": good,
    ...Object.fromEntries(cases.map(([name, bytes]) => [`bad/${name}`, bytes])),
  });
  try {
    for (const [name, , re] of cases) {
      const path = `${root}/bad/${name}`;
      await assert.rejects(importMpiiGaze(path), (e: unknown) => {
        assert.ok(e instanceof BadInputError || e instanceof MatFileError, String(e));
        assert.ok((e as Error).message.startsWith(`${path}: `), (e as Error).message);
        assert.match((e as Error).message, re);
        return true;
      });
    }
    // The whole tree fails on the first bad file, or skips them all with skipBad.
    await assert.rejects(importMpiiGaze(root), BadInputError);
    const ds = await importMpiiGaze(root, { skipBad: true });
    assert.equal(ds.n, 4);
    const skipped = ds.meta.skipped as { count: number; first: string[] };
    assert.equal(skipped.count, cases.length);
    assert.equal(skipped.first.length, cases.length);
    assert.ok(skipped.first.some((s) => /v73\.mat: .*v7\.3/.test(s)));
    // Only bad files: nothing usable.
    await assert.rejects(importMpiiGaze(`${root}/bad`, { skipBad: true }), ImportError);
    // No .mat files at all; a missing path.
    const empty = await Deno.makeTempDir({ prefix: "eyegan_empty_" });
    await assert.rejects(importMpiiGaze(empty), /no \.mat files/);
    await Deno.remove(empty);
    await assert.rejects(importMpiiGaze(`${root}/nope`), /no such file/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("importMpiiGaze: a zero gaze vector is a bad sample", async () => {
  const left = makeMpiiEyes(2, 1);
  left.gaze.fill(0, 0, 3);
  const root = await writeTree({ "d.mat": mpiiGazeMat(left, makeMpiiEyes(1, 2)) });
  try {
    await assert.rejects(importMpiiGaze(root), /d\.mat: data\.left\.gaze row 1/);
    const ds = await importMpiiGaze(root, { skipBad: true });
    assert.equal(ds.n, 2);
    assert.equal((ds.meta.skipped as { count: number }).count, 1);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
