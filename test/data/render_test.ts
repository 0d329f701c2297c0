import assert from "node:assert/strict";
import { DEG } from "../../lib/data/gaze.ts";
import {
  EyeRenderer,
  REAL_SHAPES,
  renderBatchTiming,
  renderDataset,
  SYNTHETIC_SHAPES,
} from "../../lib/data/domains/mod.ts";
import { jpegArtefacts } from "../../lib/data/domains/jpeg.ts";
import {
  CLASS_NAMES,
  type EyeParams,
  LANDMARK_COUNTS,
  LANDMARK_TOTAL,
  SEMANTIC_CLASSES,
} from "../../lib/data/render/mod.ts";
import { Rng } from "../../lib/util/random.ts";

/** A wide-open, frontal eye with the given gaze. */
function frontal(r: EyeRenderer, pitchDeg: number, yawDeg: number): EyeParams {
  const p = r.sampleParams(new Rng(11), SYNTHETIC_SHAPES);
  return {
    ...p,
    pitch: pitchDeg * DEG,
    yaw: yawDeg * DEG,
    headPitch: 0,
    headYaw: 0,
    headRoll: 0,
    openness: 1.1,
    lowerLid: 1,
  };
}

/** Centroid of one class in a semantic map, or null if absent. */
function centroid(map: Uint8Array, width: number, cls: number): [number, number] | null {
  let sx = 0, sy = 0, n = 0;
  for (let i = 0; i < map.length; i++) {
    if (map[i] === cls) {
      sx += i % width;
      sy += Math.floor(i / width);
      n++;
    }
  }
  return n ? [sx / n, sy / n] : null;
}

/** Mean of the 32 iris landmarks. */
function irisCentre(lm: Float32Array): [number, number] {
  let x = 0, y = 0;
  for (let i = 16; i < 48; i++) {
    x += lm[2 * i];
    y += lm[2 * i + 1];
  }
  return [x / 32, y / 32];
}

Deno.test("render: positive yaw moves the pupil to the image's left, positive pitch up", () => {
  const r = new EyeRenderer();
  for (const domain of ["synthetic", "real"] as const) {
    const at = (p: number, y: number) => r.renderParams(frontal(r, p, y), domain, new Rng(1));
    const left = at(0, 25), mid = at(0, 0), right = at(0, -25);
    const up = at(15, 0), down = at(-15, 0);
    const c = (s: { map: Uint8Array }) => centroid(s.map, r.width, SEMANTIC_CLASSES.pupil)!;
    assert.ok(c(left)[0] < c(mid)[0] - 2 && c(mid)[0] < c(right)[0] - 2, domain);
    assert.ok(c(up)[1] < c(mid)[1] - 1 && c(mid)[1] < c(down)[1] - 1, domain);
    // The landmarks agree with the map.
    assert.ok(irisCentre(left.landmarks)[0] < irisCentre(right.landmarks)[0] - 4);
    assert.ok(irisCentre(up.landmarks)[1] < irisCentre(down.landmarks)[1] - 2);
    // And the pupil is dark in the image where the map says it is (a glint may sit on it, so
    // look at the darkest pixel near the centroid).
    const [px, py] = c(mid).map(Math.round);
    let darkest = 255;
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) {
        darkest = Math.min(darkest, mid.image[(py + dy) * r.width + px + dx]);
      }
    }
    assert.ok(darkest < 90, `${domain}: darkest pupil pixel ${darkest}`);
  }
});

Deno.test("render: gaze is recoverable: pupil position tracks yaw and pitch over random samples", () => {
  const r = new EyeRenderer();
  const xs: number[] = [], ys: number[] = [], yaws: number[] = [], pitches: number[] = [];
  for (let i = 0; i < 150; i++) {
    const s = r.renderIndex({ domain: "synthetic", seed: 2, split: "train" }, i);
    const [x, y] = irisCentre(s.landmarks);
    xs.push(x);
    ys.push(y);
    yaws.push(s.gaze.yaw);
    pitches.push(s.gaze.pitch);
  }
  const corr = (a: number[], b: number[]) => {
    const ma = a.reduce((s, v) => s + v) / a.length, mb = b.reduce((s, v) => s + v) / b.length;
    let sab = 0, saa = 0, sbb = 0;
    for (let i = 0; i < a.length; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) ** 2;
      sbb += (b[i] - mb) ** 2;
    }
    return sab / Math.sqrt(saa * sbb);
  };
  assert.ok(corr(xs, yaws) < -0.9, `corr(x, yaw) = ${corr(xs, yaws)}`);
  assert.ok(corr(ys, pitches) < -0.8, `corr(y, pitch) = ${corr(ys, pitches)}`);
});

Deno.test("render: landmarks have the documented counts and lie inside the image", () => {
  assert.equal(
    LANDMARK_COUNTS.interiorMargin + LANDMARK_COUNTS.iris + LANDMARK_COUNTS.caruncle,
    LANDMARK_TOTAL,
  );
  for (const [h, w, c] of [[36, 60, 1], [35, 55, 1], [64, 64, 3]] as const) {
    for (const domain of ["synthetic", "real"] as const) {
      const d = renderDataset({ domain, n: 40, seed: 4, height: h, width: w, channels: c });
      assert.equal(d.landmarks.length, 40 * 55 * 2);
      assert.equal(d.images.length, 40 * h * w * c);
      for (let i = 0; i < d.landmarks.length; i += 2) {
        const x = d.landmarks[i], y = d.landmarks[i + 1];
        assert.ok(x >= -0.5 && x <= w - 0.5 && y >= -0.5 && y <= h - 0.5, `${x},${y} ${h}x${w}`);
      }
      // Corners: 0 = inner (image left), 8 = outer (image right).
      for (let k = 0; k < 40; k++) {
        const o = k * 110;
        assert.ok(d.landmarks[o] < d.landmarks[o + 16], "inner corner left of outer");
      }
    }
  }
});

Deno.test("render: semantic map holds the documented classes", () => {
  assert.deepEqual(CLASS_NAMES, ["skin", "sclera", "iris", "pupil", "eyelid", "caruncle"]);
  const r = new EyeRenderer();
  const s = r.renderParams(frontal(r, 0, 0), "synthetic");
  const present = new Set(s.map);
  for (let k = 0; k < CLASS_NAMES.length; k++) assert.ok(present.has(k), `class ${CLASS_NAMES[k]}`);
  assert.ok(Math.max(...s.map) < CLASS_NAMES.length);
  // Skin surrounds the eye: the image border is skin.
  assert.equal(s.map[0], SEMANTIC_CLASSES.skin);
  assert.equal(s.map[s.map.length - 1], SEMANTIC_CLASSES.skin);
});

Deno.test("render: deterministic per (seed, domain, split, index); streams differ otherwise", () => {
  const r = new EyeRenderer();
  const spec = { domain: "real" as const, seed: 9, split: "train" };
  const a = r.renderIndex(spec, 5), b = new EyeRenderer().renderIndex(spec, 5);
  assert.deepEqual(a.image, b.image);
  assert.deepEqual(a.map, b.map);
  assert.deepEqual(a.landmarks, b.landmarks);
  r.renderIndex(spec, 6); // order does not matter
  assert.deepEqual(r.renderIndex(spec, 5).image, a.image);
  assert.notDeepEqual(r.renderIndex({ ...spec, seed: 10 }, 5).image, a.image);
  assert.notDeepEqual(r.renderIndex({ ...spec, split: "test" }, 5).image, a.image);
  assert.notDeepEqual(r.renderIndex({ ...spec, domain: "synthetic" }, 5).image, a.image);
});

Deno.test("render: paired twins share geometry; the target domain looks different", () => {
  const d = renderDataset({ domain: "paired", n: 30, seed: 1 });
  assert.ok(d.synthetic && d.maps);
  const px = 36 * 60;
  let sameCorr = 0, otherCorr = 0, meanAbs = 0;
  const corr = (a: Uint8Array, b: Uint8Array) => {
    let ma = 0, mb = 0;
    for (let i = 0; i < a.length; i++) {
      ma += a[i];
      mb += b[i];
    }
    ma /= a.length;
    mb /= b.length;
    let sab = 0, saa = 0, sbb = 0;
    for (let i = 0; i < a.length; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) ** 2;
      sbb += (b[i] - mb) ** 2;
    }
    return sab / Math.sqrt(saa * sbb);
  };
  for (let i = 0; i < 30; i++) {
    const syn = d.synthetic.subarray(i * px, (i + 1) * px);
    const real = d.images.subarray(i * px, (i + 1) * px);
    const other = d.images.subarray(((i + 1) % 30) * px, (((i + 1) % 30) + 1) * px);
    sameCorr += corr(syn, real) / 30;
    otherCorr += corr(syn, other) / 30;
    for (let k = 0; k < px; k++) meanAbs += Math.abs(syn[k] - real[k]) / (30 * px);
  }
  assert.ok(sameCorr > otherCorr + 0.15, `twin corr ${sameCorr} vs other ${otherCorr}`);
  assert.ok(meanAbs > 20, `mean |synthetic - real| = ${meanAbs}`);
});

Deno.test("render: parameter distributions of the domains differ and stay in range", () => {
  assert.notDeepEqual(SYNTHETIC_SHAPES, REAL_SHAPES);
  const r = new EyeRenderer();
  const rng = new Rng(3);
  for (let i = 0; i < 200; i++) {
    const p = r.sampleParams(rng, REAL_SHAPES);
    assert.ok(Math.abs(p.pitch) <= 25 * DEG + 1e-9 && Math.abs(p.yaw) <= 35 * DEG + 1e-9);
    assert.ok(p.pupilRadius < p.irisRadius);
  }
});

Deno.test("render: JPEG artefacts keep the image close and change it a little", () => {
  const r = new EyeRenderer({ channels: 3 });
  const img = r.renderSynthetic(frontal(r, 0, 0));
  const q = img.slice();
  jpegArtefacts(q, 36, 60, 3, 50);
  let diff = 0;
  for (let i = 0; i < img.length; i++) diff += Math.abs(img[i] - q[i]) / img.length;
  assert.ok(diff > 0.2 && diff < 8, `mean abs change ${diff}`);
});

Deno.test("render: timing helper runs", () => {
  const t = renderBatchTiming({ domain: "synthetic", n: 20 });
  assert.ok(t.imagesPerSecond > 0 && t.n === 20);
});
