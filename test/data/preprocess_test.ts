import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";

function assertAlmostEquals(actual: number, expected: number, tolerance: number): void {
  assert(
    Math.abs(actual - expected) <= tolerance,
    `${actual} is not within ${tolerance} of ${expected}`,
  );
}
import type { PixelImage } from "../../lib/image/io.ts";
import {
  cropBox,
  cropBoxMatrix,
  cropRect,
  equalizeHistogram,
  flipBatchHorizontal,
  flipHorizontal,
  flipPitchYaw,
  flipPitchYawArray,
  flipSample,
  prepareImage,
  resize,
  resizeBilinear,
  resizeFloat,
  roundToUint8,
  toGray,
  toRgb,
  uint8ToUnit,
  unitToUint8,
  warpAffine,
} from "../../lib/data/preprocess.ts";

function gray(width: number, height: number, values: number[]): PixelImage {
  return { width, height, channels: 1, data: Uint8Array.from(values) };
}

Deno.test("resizeBilinear: half-pixel centres, 1-D downscale and upscale by hand", () => {
  // 4 -> 2: output centres sample 0.5 and 2.5.
  assertEquals([...resizeBilinear(gray(4, 1, [0, 100, 200, 250]), 1, 2).data], [50, 225]);
  // 2 -> 4: sources -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
  assertEquals([...resizeBilinear(gray(2, 1, [0, 100]), 1, 4).data], [0, 25, 75, 100]);
  // Vertical axis too.
  assertEquals([...resizeBilinear(gray(1, 2, [0, 100]), 4, 1).data], [0, 25, 75, 100]);
});

Deno.test("resizeBilinear: 2x2 -> 3x3 by hand (rounding half up)", () => {
  const out = resizeBilinear(gray(2, 2, [0, 100, 200, 255]), 3, 3);
  // Sources per axis: 0 (clamped), 0.5, 1 (clamped).
  assertEquals([...out.data], [0, 50, 100, 100, 139, 178, 200, 228, 255]);
});

Deno.test("resizeFloat matches tf.image.resizeBilinear(halfPixelCenters) on random data", async () => {
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-backend-cpu");
  await tf.setBackend("cpu");
  let s = 7;
  const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647;
  for (const [h, w, c, oh, ow] of [[7, 5, 3, 4, 9], [5, 8, 1, 11, 3], [36, 60, 1, 35, 55]]) {
    const data = Float32Array.from({ length: h * w * c }, () => Math.round(rnd() * 255));
    const ours = resizeFloat(data, h, w, c, oh, ow, "bilinear");
    const ref = tf.tidy(() =>
      tf.image.resizeBilinear(tf.tensor3d(data, [h, w, c]), [oh, ow], false, true).dataSync()
    );
    assertEquals(ours.length, ref.length);
    for (let i = 0; i < ours.length; i++) assertAlmostEquals(ours[i], ref[i], 1e-3);
  }
});

Deno.test("resize: area averaging when shrinking, auto picks it for factors >= 2", () => {
  const spike = gray(8, 1, [0, 0, 0, 100, 0, 0, 0, 0]);
  assertEquals([...resize(spike, 1, 2, "area").data], [25, 0]);
  assertEquals([...resize(spike, 1, 2, "auto").data], [25, 0]);
  assertEquals([...resize(spike, 1, 2, "bilinear").data], [0, 0]); // samples 1.5 and 5.5
  // Fractional footprints: 3 -> 2, each output covers 1.5 pixels.
  assertEquals([...resize(gray(3, 1, [0, 90, 180]), 1, 2, "area").data], [30, 150]);
  // Same size: an identical copy.
  const same = resize(spike, 1, 8);
  assertEquals([...same.data], [...spike.data]);
  assert(same.data !== spike.data);
  // RGB keeps channels apart.
  const rgb: PixelImage = {
    width: 2,
    height: 1,
    channels: 3,
    data: Uint8Array.from([10, 20, 30, 50, 60, 70]),
  };
  assertEquals([...resize(rgb, 1, 1, "area").data], [30, 40, 50]);
  assertThrows(() => resize(spike, 0, 2), RangeError);
});

Deno.test("toGray: BT.601 luma with rounding; toRgb replicates", () => {
  const rgb: PixelImage = {
    width: 4,
    height: 1,
    channels: 3,
    data: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]),
  };
  // 76.245, 149.685, 29.07, 18.15
  assertEquals([...toGray(rgb).data], [76, 150, 29, 18]);
  assertEquals([...toRgb(gray(2, 1, [5, 9])).data], [5, 5, 5, 9, 9, 9]);
});

Deno.test("equalizeHistogram: OpenCV equalizeHist formula", () => {
  // hist: 10 x2, 20 x1, 30 x1; cdf - cdf(min) = 0, 1, 2; scale 255 / (4 - 2).
  assertEquals([...equalizeHistogram(gray(2, 2, [10, 10, 20, 30])).data], [0, 0, 128, 255]);
  // Constant image: unchanged.
  assertEquals([...equalizeHistogram(gray(2, 1, [77, 77])).data], [77, 77]);
  // A full ramp is already equalised up to rounding: stays monotone and spans 0..255.
  const ramp = equalizeHistogram(gray(256, 1, Array.from({ length: 256 }, (_, i) => i)));
  assertEquals(ramp.data[0], 0);
  assertEquals(ramp.data[255], 255);
});

Deno.test("uint8 <-> [-1, 1]: exact round trip, rounding and clipping", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const f = uint8ToUnit(all);
  assertEquals(f[0], -1);
  assertEquals(f[255], 1);
  assertAlmostEquals(f[128], 0.5 / 127.5, 1e-7);
  assertEquals([...unitToUint8(f)], [...all]);
  assertEquals([...unitToUint8([-1, 0, 1, 2, -3, NaN, 0.999, -0.996])], [
    0,
    128,
    255,
    255,
    0,
    0,
    255,
    1,
  ]);
  assertEquals([...roundToUint8([-0.6, 0.4, 254.5, 300, NaN])], [0, 0, 255, 255, 0]);
});

Deno.test("flips: image mirrored, yaw negated, pitch kept", () => {
  const rgb: PixelImage = {
    width: 3,
    height: 1,
    channels: 3,
    data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]),
  };
  assertEquals([...flipHorizontal(rgb).data], [7, 8, 9, 4, 5, 6, 1, 2, 3]);
  const stack = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]); // 2 images, 2x2 gray
  assertEquals([...flipBatchHorizontal(stack, 2, 2, 2, 1)], [2, 1, 4, 3, 6, 5, 8, 7]);
  assertEquals(flipPitchYaw({ pitch: 0.1, yaw: 0.3 }), { pitch: 0.1, yaw: -0.3 });
  assertEquals([...flipPitchYawArray(Float32Array.from([0.5, 0.25, -0.5, -0.125]))], [
    0.5,
    -0.25,
    -0.5,
    0.125,
  ]);
  const s = flipSample(gray(2, 1, [1, 2]), { pitch: 0, yaw: 1 });
  assertEquals([...s.image.data], [2, 1]);
  assertEquals(s.gaze.yaw, -1);
});

Deno.test("cropBox: whole image, half-pixel offsets, fill and edge modes", () => {
  const img = gray(3, 3, [0, 10, 20, 30, 40, 50, 60, 70, 80]);
  // The box covering the whole image reproduces it.
  assertEquals([...cropBox(img, { cx: 1.5, cy: 1.5, width: 3, height: 3 }, 3, 3).data], [
    ...img.data,
  ]);
  // A 1x1 box on pixel (1, 1)'s centre.
  assertEquals([...cropBox(img, { cx: 1.5, cy: 1.5, width: 1, height: 1 }, 1, 1).data], [40]);
  // Half a pixel right: mean of (1, 1) and (2, 1).
  assertEquals([...cropBox(img, { cx: 2, cy: 1.5, width: 1, height: 1 }, 1, 1).data], [45]);
  // Partly outside: the left output pixel's centre is at x = -0.5.
  const row = gray(2, 1, [100, 200]);
  const box = { cx: 0, cy: 0.5, width: 2, height: 1 };
  assertEquals([...cropBox(row, box, 2, 1, { fill: 7 }).data], [7, 100]);
  assertEquals([...cropBox(row, box, 2, 1, { fill: "edge" }).data], [100, 100]);
  assertThrows(() => cropBox(img, { cx: 1, cy: 1, width: 0, height: 1 }, 1, 1), RangeError);
  assertThrows(() => cropBox(img, { cx: NaN, cy: 1, width: 1, height: 1 }, 1, 1), RangeError);
});

Deno.test("cropBox: rotated boxes", () => {
  const img = gray(3, 3, [0, 10, 20, 30, 40, 50, 60, 70, 80]);
  // +90 degrees: the box's x axis runs down the image, its y axis runs right-to-left,
  // so out[v][u] = src[row u][column 2 - v].
  const out = cropBox(img, { cx: 1.5, cy: 1.5, width: 3, height: 3, angle: Math.PI / 2 }, 3, 3);
  assertEquals([...out.data], [20, 50, 80, 10, 40, 70, 0, 30, 60]);
  // 180 degrees = both flips.
  const r180 = cropBox(img, { cx: 1.5, cy: 1.5, width: 3, height: 3, angle: Math.PI }, 3, 3);
  assertEquals([...r180.data], [...img.data].reverse());
  // The matrix maps the output centre to the box centre.
  const [a, b, c, d, e, f] = cropBoxMatrix(
    { cx: 10, cy: 20, width: 8, height: 4, angle: 0.3 },
    4,
    2,
  );
  assertAlmostEquals(a * 2 + b * 1 + c, 10, 1e-12);
  assertAlmostEquals(d * 2 + e * 1 + f, 20, 1e-12);
});

Deno.test("cropBox: anti-aliasing averages every source pixel when shrinking", () => {
  const spike = gray(8, 1, [0, 0, 0, 100, 0, 0, 0, 0]);
  const box = { cx: 4, cy: 0.5, width: 8, height: 1 };
  assertEquals([...cropBox(spike, box, 2, 1).data], [25, 0]);
  assertEquals([...cropBox(spike, box, 2, 1, { antialias: false }).data], [0, 0]);
});

Deno.test("warpAffine and cropRect", () => {
  const row = gray(4, 1, [10, 20, 30, 40]);
  // Translation by one pixel; the last output pixel falls outside and takes the fill.
  assertEquals([...warpAffine(row, [1, 0, 1, 0, 1, 0], 4, 1, { fill: 0 }).data], [20, 30, 40, 0]);
  assertEquals([...cropRect(row, 2, 0, 3, 1).data], [30, 40, 0]);
  assertEquals([...cropRect(row, -1, 0, 2, 1, "edge").data], [10, 10]);
  assertEquals([...cropRect(row, 1, -1, 2, 2, 9).data], [9, 9, 20, 30]);
  assertThrows(() => warpAffine(row, [1, 0, 0], 2, 1), RangeError);
});

Deno.test("prepareImage: luma, resize, equalise", () => {
  const rgb: PixelImage = { width: 4, height: 2, channels: 3, data: new Uint8Array(24) };
  for (let p = 0; p < 8; p++) rgb.data.fill(p * 30, p * 3, p * 3 + 3);
  const out = prepareImage(rgb, { channels: 1, height: 1, width: 2, equalize: true });
  assertEquals([out.width, out.height, out.channels], [2, 1, 1]);
  // area means 75 and 135 -> equalised to 0 and 255.
  assertEquals([...out.data], [0, 255]);
  const copy = prepareImage(rgb);
  assert(copy.data !== rgb.data);
  assertEquals([...copy.data], [...rgb.data]);
});
