import assert from "node:assert/strict";
import { angularErrorDeg, DEG, fromUnityEyesLookVec } from "../../lib/data/gaze.ts";
import {
  BadInputError,
  ImportError,
  importUnityEyes,
  parseTuple,
  parseUnityEyesJson,
  pixelStats,
  unityEyes2CropBox,
  unityEyesCropBox,
} from "../../lib/data/import/mod.ts";
import type { UnityEyesV1 } from "../../lib/data/import/unityeyes.ts";
import { encodeJpeg, encodePng } from "../../lib/image/io.ts";
import { makeUnityEyesPair, renderedUnityEyesPair } from "../fixtures/unityeyes_fixture.ts";
import { garbage, jpegBytes, truncated } from "../fixtures/bad_inputs.ts";

const SHARED = new URL("../../../shared/data/", import.meta.url).pathname;
const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

Deno.test("parseTuple: UnityEyes tuple strings", () => {
  assert.deepEqual(parseTuple("(371.4855, 296.4230, 8.8595)"), [371.4855, 296.423, 8.8595]);
  assert.deepEqual(parseTuple(" (1,2,3,0.0000) ", 3), [1, 2, 3, 0]);
  assert.deepEqual(parseTuple("(1.924006E-17, -2)"), [1.924006e-17, -2]);
  assert.throws(() => parseTuple("371.4, 296.4"), /expected a "\(x, y, z\)" string/);
  assert.throws(() => parseTuple([1, 2, 3]), /expected a "\(x, y, z\)" string/);
  assert.throws(() => parseTuple("(1, abc, 3)"), /bad number/);
  assert.throws(() => parseTuple("(1, , 3)"), /bad number/);
  assert.throws(() => parseTuple("(1, 2)", 3), /at least 3/);
});

Deno.test("parseUnityEyesJson + crop box on the genuine UnityEyes v1 annotation", async () => {
  const path = `${SHARED}unityeyes-v1-sample/1.json`;
  const ann = parseUnityEyesJson(await Deno.readTextFile(path), path) as UnityEyesV1;
  assert.equal(ann.version, 1);
  assert.equal(ann.interiorMargin.length, 16);
  assert.equal(ann.caruncle.length, 7);
  assert.equal(ann.iris.length, 32);
  assert.deepEqual(ann.lookVec, [0.3404, 0.3879, -0.8566]);
  assert.deepEqual(ann.headPose, [355.077, 203.8451, 0]);
  // Hand computation from the file's numbers, 800x600 render (image y = 600 - y).
  const carX = [364.5717, 364.8584, 357.4482, 349.9624, 353.7258, 351.5754, 346.2976];
  const carY = [284.7197, 288.3494, 296.9649, 289.0576, 283.3381, 280.2595, 282.7485];
  const innerX = carX.reduce((a, b) => a + b) / 7;
  const innerY = 600 - carY.reduce((a, b) => a + b) / 7;
  const outer = { x: 489.8072, y: 600 - 291.6013 }; // interior_margin_2d[8]
  const width = 1.5 * Math.abs(innerX - outer.x);
  const cx = (364.8002 + 489.8072) / 2; // min x: margin[1], max x: margin[8]
  const cy = 600 - (275.4666 + 357.787) / 2; // min y: margin[12], max y: margin[4]
  const box = unityEyesCropBox(ann, 600, 60, 36);
  close(box.innerCorner.x, innerX, 1e-9);
  close(box.innerCorner.y, innerY, 1e-9);
  close(box.outerCorner.y, outer.y, 1e-9);
  close(box.width, width, 1e-9);
  close(box.height, width * 36 / 60, 1e-9);
  close(box.cx, cx, 1e-9);
  close(box.cy, cy, 1e-9);
  close(box.width, 201.47, 0.01);
  // Gaze: up and towards the image's right (lib/data/gaze.ts doc: +22.8 deg, -21.7 deg).
  const g = fromUnityEyesLookVec(0.3404, 0.3879, -0.8566);
  close(g.pitch / DEG, 22.8, 0.05);
  close(g.yaw / DEG, -21.7, 0.05);
  // UnityEyes2 layout.
  const ue2 = parseUnityEyesJson(
    await Deno.readTextFile(`${SHARED}unityeyes2-sample/30.json`),
    "30.json",
  );
  assert.deepEqual(ue2, {
    version: 2,
    irisCenter: [0, 0.6135, 9.9723],
    gazeVec: [-0.0727, -0.3894, -0.9182],
  });
  assert.deepEqual(unityEyes2CropBox(640, 480, 60, 36), {
    cx: 320,
    cy: 240,
    width: 512,
    height: 512 * 0.6,
    angle: 0,
  });
});

Deno.test("parseUnityEyesJson: malformed JSON and missing fields name the file", () => {
  const bad = (text: string, re: RegExp) =>
    assert.throws(() => parseUnityEyesJson(text, "/d/7.json"), (e: unknown) => {
      assert.ok(e instanceof BadInputError);
      assert.match(e.message, /^\/d\/7\.json: /);
      assert.match(e.message, re);
      return true;
    });
  const good = JSON.parse(makeUnityEyesPair({ width: 80, height: 60, a: 10, b: 5 }).json);
  const without = (f: (o: Record<string, unknown>) => void) => {
    const o = structuredClone(good);
    f(o);
    return JSON.stringify(o);
  };
  bad('{"interior_margin_2d": [', /malformed JSON/);
  bad("[1, 2]", /not an object/);
  bad('{"foo": "bar"}', /neither a UnityEyes annotation.*keys: foo/);
  bad(
    without((o) => delete (o.eye_details as Record<string, unknown>).look_vec),
    /missing field eye_details\.look_vec/,
  );
  bad(without((o) => delete o.caruncle_2d), /missing field caruncle_2d/);
  bad(
    without((o) => (o.interior_margin_2d as string[]).splice(4)),
    /interior_margin_2d has 4 points/,
  );
  bad(
    without((o) => ((o.interior_margin_2d as string[])[3] = "(1; 2)")),
    /interior_margin_2d\[3\]/,
  );
  bad(without((o) => ((o.eye_details as Record<string, unknown>).look_vec = 5)), /look_vec/);
  bad('{"ground_truth": {"iris_center": "(0, 0, 1)"}}', /missing field ground_truth\.gaze_vec/);
});

Deno.test("importUnityEyes: the real UnityEyes2 renders end to end", async () => {
  const dir = `${SHARED}unityeyes2-sample`;
  const ds = await importUnityEyes(dir);
  assert.equal(ds.n, 10);
  assert.deepEqual([ds.height, ds.width, ds.channels], [36, 60, 1]);
  assert.equal(ds.images.length, 10 * 36 * 60);
  assert.deepEqual(ds.files, [30, 31, 32, 33, 34, 35, 36, 37, 38, 39].map((i) => `${i}.jpg`));
  assert.deepEqual(ds.meta.layouts, ["UnityEyes2"]);
  assert.equal(ds.domain, "synthetic");
  assert.equal(ds.landmarks, undefined); // UnityEyes2 has none
  for (let i = 0; i < 10; i++) {
    const ann = JSON.parse(await Deno.readTextFile(`${dir}/${30 + i}.json`));
    const [x, y, z] = ann.ground_truth.gaze_vec.slice(1, -1).split(",").map(Number);
    const g = fromUnityEyesLookVec(x, y, z);
    close(ds.gaze![2 * i], g.pitch);
    close(ds.gaze![2 * i + 1], g.yaw);
    // A real eye crop: some contrast, not a flat fill.
    const px = ds.images.subarray(i * 2160, (i + 1) * 2160);
    const mean = px.reduce((a, b) => a + b, 0) / px.length;
    const std = Math.sqrt(px.reduce((a, b) => a + (b - mean) ** 2, 0) / px.length);
    assert.ok(std > 15 && mean > 40 && mean < 220, `sample ${i}: mean ${mean}, std ${std}`);
  }
  // 30.json looks down (gaze_vec y < 0 with y up): negative pitch.
  assert.ok(ds.gaze![0] < 0);
  // RGB, another size, equalised.
  const rgb = await importUnityEyes(dir, {
    height: 35,
    width: 55,
    channels: 3,
    equalize: true,
    limit: 2,
  });
  assert.deepEqual([rgb.n, rgb.height, rgb.width, rgb.channels], [2, 35, 55, 3]);
});

async function writePair(dir: string, stem: string, pair: ReturnType<typeof makeUnityEyesPair>) {
  await Deno.writeFile(`${dir}/${stem}.jpg`, await encodeJpeg(pair.image, 95));
  await Deno.writeTextFile(`${dir}/${stem}.json`, pair.json);
}

Deno.test("importUnityEyes: generated v1 pairs recover the gaze and a centred crop", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan_ue_" });
  try {
    const pairs = [
      makeUnityEyesPair({ pitch: 0.1, yaw: 0.15 }),
      makeUnityEyesPair({ pitch: -0.12, yaw: -0.2, cx: 380, cy: 320 }),
      makeUnityEyesPair({ pitch: 0, yaw: 0.1, width: 640, height: 480, a: 60, b: 26 }),
    ];
    // Natural order: 2 before 10.
    const stems = ["2", "10", "11"];
    for (let i = 0; i < pairs.length; i++) await writePair(dir, stems[i], pairs[i]);
    const ds = await importUnityEyes(dir, { height: 36, width: 60 });
    assert.equal(ds.n, 3);
    assert.deepEqual(ds.files, ["2.jpg", "10.jpg", "11.jpg"]);
    assert.deepEqual(ds.meta.layouts, ["UnityEyes"]);
    assert.equal(ds.domain, "synthetic");
    assert.equal(ds.landmarks!.length, 3 * 110);
    for (let i = 0; i < 3; i++) {
      const p = pairs[i];
      const err = angularErrorDeg(
        { pitch: ds.gaze![2 * i], yaw: ds.gaze![2 * i + 1] },
        { pitch: p.pitch, yaw: p.yaw },
      );
      assert.ok(err < 0.01, `gaze error ${err} deg`);
      // The dark iris lands where the box maps it.
      const img = ds.images.subarray(i * 2160, (i + 1) * 2160);
      let sx = 0, sy = 0, n = 0;
      for (let y = 0; y < 36; y++) {
        for (let x = 0; x < 60; x++) {
          if (img[y * 60 + x] < 100) {
            sx += x + 0.5;
            sy += y + 0.5;
            n++;
          }
        }
      }
      const scale = 60 / p.box.width;
      const ex = (p.iris.x - p.box.cx) * scale + 30;
      const ey = (p.iris.y - p.box.cy) * scale + 18;
      assert.ok(n > 10, `iris visible (${n} px)`);
      close(sx / n, ex, 0.6);
      close(sy / n, ey, 0.6);
      // Skin at the corners of the crop.
      assert.ok(Math.abs(img[0] - 172) < 15, `corner ${img[0]}`);
      // Landmarks in output pixels (centre of the top-left pixel at 0, 0).
      const lm = ds.landmarks!.subarray(i * 110, (i + 1) * 110);
      let lx = 0, ly = 0;
      for (let k = 16; k < 48; k++) {
        lx += lm[2 * k] / 32;
        ly += lm[2 * k + 1] / 32;
      }
      close(lx, ex - 0.5, 0.01);
      close(ly, ey - 0.5, 0.01);
      close(lm[16], (p.box.width / 1.5 - 8) / 2 * scale + 30 - 0.5, 0.01); // margin[8] x
      close(lm[17], 18 - 0.5, 0.01);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("importUnityEyes: every kind of bad input is named, skipped with skipBad", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan_uebad_" });
  try {
    const pair = makeUnityEyesPair({
      width: 200,
      height: 150,
      a: 30,
      b: 12,
      irisRadius: 6,
      eyeballRadius: 15,
    });
    await writePair(dir, "1", pair);
    const jpg = await encodeJpeg(pair.image, 90);
    const obj = JSON.parse(pair.json);
    const cases: [string, () => Promise<void>, RegExp][] = [
      ["2.jpg", async () => {
        await Deno.writeFile(`${dir}/2.jpg`, garbage());
        await Deno.writeTextFile(`${dir}/2.json`, pair.json);
      }, /2\.jpg: not a readable image/],
      ["3.jpg", async () => {
        await Deno.writeFile(`${dir}/3.jpg`, truncated(jpg));
        await Deno.writeTextFile(`${dir}/3.json`, pair.json);
      }, /3\.jpg: not a readable image/],
      ["4.json", async () => {
        await Deno.writeFile(`${dir}/4.jpg`, jpg);
        await Deno.writeTextFile(`${dir}/4.json`, pair.json.slice(0, 100));
      }, /4\.json: malformed JSON/],
      ["5.json", async () => {
        await Deno.writeFile(`${dir}/5.jpg`, jpg);
        const o = structuredClone(obj);
        delete o.eye_details;
        await Deno.writeTextFile(`${dir}/5.json`, JSON.stringify(o));
      }, /5\.json: missing field eye_details\.look_vec/],
      ["6.json", async () => {
        await Deno.writeTextFile(`${dir}/6.json`, pair.json);
      }, /6\.json: no image 6\.jpg/],
      ["7.jpg", async () => {
        await Deno.writeFile(`${dir}/7.jpg`, jpg);
      }, /7\.jpg: no annotation 7\.json/],
      ["8.jpg", async () => {
        // The annotation of an 800x600 render next to a 60x40 image.
        await Deno.writeFile(`${dir}/8.jpg`, await jpegBytes(60, 40));
        await Deno.writeTextFile(`${dir}/8.json`, makeUnityEyesPair().json);
      }, /8\.jpg: eye centre .* lies outside the 60x40 image/],
    ];
    for (const [, make] of cases) await make();
    // Each bad sample alone fails the import with its own message.
    for (const [name, , re] of cases) {
      const solo = await Deno.makeTempDir({ prefix: "eyegan_uesolo_" });
      const stem = name.split(".")[0];
      for (const ext of ["jpg", "json"]) {
        try {
          await Deno.copyFile(`${dir}/${stem}.${ext}`, `${solo}/${stem}.${ext}`);
        } catch { /* the half that is missing on purpose */ }
      }
      await Deno.copyFile(`${dir}/1.jpg`, `${solo}/1.jpg`);
      await Deno.copyFile(`${dir}/1.json`, `${solo}/1.json`);
      await assert.rejects(importUnityEyes(solo), (e: unknown) => {
        assert.match((e as Error).message, new RegExp(`^${solo}/`));
        assert.match((e as Error).message, re);
        return true;
      });
      await Deno.remove(solo, { recursive: true });
    }
    const ds = await importUnityEyes(dir, { skipBad: true });
    assert.equal(ds.n, 1);
    const skipped = ds.meta.skipped as { count: number; first: string[] };
    assert.equal(skipped.count, cases.length);
    for (const [, , re] of cases) assert.ok(skipped.first.some((s) => re.test(s)), String(re));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("importUnityEyes: empty or missing folders are ImportErrors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan_ueempty_" });
  try {
    await assert.rejects(importUnityEyes(dir), ImportError);
    await assert.rejects(importUnityEyes(dir), /no UnityEyes samples/);
    await Deno.writeFile(
      `${dir}/1.jpg`,
      await encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(4) }),
    );
    await Deno.writeTextFile(`${dir}/1.json`, "{}");
    await assert.rejects(importUnityEyes(dir, { skipBad: true }), /no usable UnityEyes samples/);
    await assert.rejects(importUnityEyes(`${dir}/missing`), /no such directory/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("importUnityEyes: pairs rendered by the project's renderer, 800x600 canvas", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan_uer_" });
  try {
    const pairs = [0, 1, 2].map((i) => renderedUnityEyesPair(i));
    for (let i = 0; i < pairs.length; i++) {
      await Deno.writeFile(`${dir}/${i + 1}.png`, await encodePng(pairs[i].image));
      await Deno.writeTextFile(`${dir}/${i + 1}.json`, pairs[i].json);
    }
    const ds = await importUnityEyes(dir);
    assert.equal(ds.n, 3);
    for (let i = 0; i < 3; i++) {
      const p = pairs[i];
      const err = angularErrorDeg(
        { pitch: ds.gaze![2 * i], yaw: ds.gaze![2 * i + 1] },
        { pitch: p.pitch, yaw: p.yaw },
      );
      assert.ok(err < 0.02, `gaze error ${err} deg`);
      // The crop frames the eye: corners at 1/6 and 5/6 of the width (the box is 1.5 corner
      // distances wide), all landmarks inside, the iris landmarks where the box maps them.
      const lm = ds.landmarks!.subarray(i * 110, (i + 1) * 110);
      const scale = 60 / p.box.width;
      for (let k = 0; k < 55; k++) {
        const x = (p.landmarks[2 * k] + 0.5 + p.offset.x - p.box.cx) * scale + 30 - 0.5;
        const y = (p.landmarks[2 * k + 1] + 0.5 + p.offset.y - p.box.cy) * scale + 18 - 0.5;
        close(lm[2 * k], x, 0.01);
        close(lm[2 * k + 1], y, 0.01);
        assert.ok(lm[2 * k] > -1 && lm[2 * k] < 60 && lm[2 * k + 1] > -1 && lm[2 * k + 1] < 36);
      }
      let car = 0;
      for (let k = 48; k < 55; k++) car += lm[2 * k] / 7;
      close(Math.abs(lm[16] - car), 40, 0.01);
      // Real image content: the eye is not a flat canvas.
      const s = pixelStats(ds.images.subarray(i * 2160, (i + 1) * 2160));
      assert.ok(s.std > 10, `std ${s.std}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
