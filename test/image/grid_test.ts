import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import type { PixelImage } from "../../lib/image/io.ts";
import { decodeImage } from "../../lib/image/io.ts";
import {
  imageGrid,
  imageGridPng,
  tensorToImages,
  tileImages,
  upscaleNearest,
} from "../../lib/image/grid.ts";

await tf.setBackend("cpu");

/** A gray image whose pixel (x, y) is `base + y * width + x`. */
function ramp(width: number, height: number, base = 0): PixelImage {
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = (base + i) % 256;
  return { width, height, channels: 1, data };
}

function px(im: PixelImage, x: number, y: number, c = 0): number {
  return im.data[(y * im.width + x) * im.channels + c];
}

Deno.test("tileImages places tile i at row floor(i/cols), column i%cols with padding", () => {
  const images = [ramp(3, 2, 0), ramp(3, 2, 10), ramp(3, 2, 20), ramp(3, 2, 30), ramp(3, 2, 40)];
  const grid = tileImages(images, { cols: 2, padding: 1, background: 7 });
  // 2 columns x 3 rows of 3x2 tiles, padding 1 around and between.
  assert.equal(grid.width, 1 + 2 * (3 + 1));
  assert.equal(grid.height, 1 + 3 * (2 + 1));
  assert.equal(grid.channels, 1);
  for (const [i, im] of images.entries()) {
    const x0 = 1 + (i % 2) * 4, y0 = 1 + Math.floor(i / 2) * 3;
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 3; x++) assert.equal(px(grid, x0 + x, y0 + y), px(im, x, y), `tile ${i}`);
    }
  }
  // Padding and the empty sixth tile are background.
  assert.equal(px(grid, 0, 0), 7);
  assert.equal(px(grid, 4, 1), 7);
  assert.equal(px(grid, 5 + 1, 7 + 1), 7);
});

Deno.test("tileImages: default layout is near square; rows alone set the columns", () => {
  const images = Array.from({ length: 10 }, () => ramp(2, 2));
  const square = tileImages(images, { padding: 0 });
  assert.equal(square.width, 4 * 2); // ceil(sqrt(10)) = 4 columns
  assert.equal(square.height, 3 * 2);
  const two = tileImages(images, { rows: 2, padding: 0 });
  assert.equal(two.width, 5 * 2);
  assert.equal(two.height, 2 * 2);
  assert.throws(() => tileImages(images, { rows: 2, cols: 2 }), /do not fit in 2 rows x 2 columns/);
  assert.throws(() => tileImages([]), /no images/);
  assert.throws(() => tileImages(images, { cols: 0 }), /cols must be a positive integer/);
  assert.throws(() => tileImages(images, { scale: 1.5 }), /scale must be a positive integer/);
});

Deno.test("tileImages centres smaller tiles and turns gray into RGB when mixed", () => {
  const rgb: PixelImage = { width: 4, height: 4, channels: 3, data: new Uint8Array(48).fill(200) };
  const gray = ramp(2, 2, 100);
  const grid = tileImages([rgb, gray], { cols: 2, padding: 0, background: 0 });
  assert.equal(grid.channels, 3);
  assert.deepEqual([px(grid, 0, 0, 0), px(grid, 0, 0, 1), px(grid, 0, 0, 2)], [200, 200, 200]);
  // The 2x2 gray image sits centred in the second 4x4 tile: offset (1, 1).
  assert.deepEqual([px(grid, 5, 1, 0), px(grid, 5, 1, 1), px(grid, 5, 1, 2)], [100, 100, 100]);
  assert.equal(px(grid, 6, 2, 1), 103);
  assert.equal(px(grid, 4, 0, 0), 0);
});

Deno.test("upscaleNearest turns each pixel into a factor x factor block", () => {
  const im = ramp(3, 2, 50);
  const big = upscaleNearest(im, 3);
  assert.equal(big.width, 9);
  assert.equal(big.height, 6);
  for (let y = 0; y < 6; y++) {
    for (let x = 0; x < 9; x++) {
      assert.equal(px(big, x, y), px(im, Math.floor(x / 3), Math.floor(y / 3)));
    }
  }
  assert.equal(upscaleNearest(im, 1), im);
  const grid = tileImages([im], { padding: 1, scale: 2 });
  assert.equal(grid.width, (3 + 2) * 2);
  assert.equal(px(grid, 2, 2), px(im, 0, 0));
});

Deno.test("tensorToImages maps [-1,1], [0,1] and 0..255 to bytes, clamping", async () => {
  const tanh = tf.tensor4d([-1, -0.5, 0, 1, 2, -3], [1, 1, 6, 1]);
  const [a] = await tensorToImages(tanh, "[-1,1]");
  assert.deepEqual([...a.data], [0, 64, 128, 255, 255, 0]);
  const unit = tf.tensor4d([0, 0.5, 1, 1.5], [1, 2, 2, 1]);
  assert.deepEqual([...(await tensorToImages(unit, "[0,1]"))[0].data], [0, 128, 255, 255]);
  const bytes = tf.tensor4d([0, 12, 255, 300], [1, 2, 2, 1], "int32");
  assert.deepEqual([...(await tensorToImages(bytes, "[0,255]"))[0].data], [0, 12, 255, 255]);
  tf.dispose([tanh, unit, bytes]);
});

Deno.test("tensorToImages auto-detects the range and splits the batch", async () => {
  const tanh = tf.tensor4d([-1, 1, 0, 0], [2, 1, 2, 1]);
  const images = await tensorToImages(tanh);
  assert.equal(images.length, 2);
  assert.deepEqual([...images[0].data], [0, 255]);
  assert.deepEqual([...images[1].data], [128, 128]);
  const unit = tf.tensor4d([0, 1], [1, 1, 2, 1]);
  assert.deepEqual([...(await tensorToImages(unit))[0].data], [0, 255]);
  const float255 = tf.tensor4d([0, 200], [1, 1, 2, 1]);
  assert.deepEqual([...(await tensorToImages(float255))[0].data], [0, 200]);
  const int = tf.tensor4d([0, 1], [1, 1, 2, 1], "int32");
  assert.deepEqual([...(await tensorToImages(int))[0].data], [0, 1]);
  const rgb = tf.tensor3d([0, 0.5, 1], [1, 1, 3]);
  const [one] = await tensorToImages(rgb);
  assert.equal(one.channels, 3);
  assert.deepEqual([...one.data], [0, 128, 255]);
  await assert.rejects(() => tensorToImages(tf.zeros([2, 3, 4, 2])), /C 1 or 3/);
  tf.dispose([tanh, unit, float255, int, rgb]);
});

Deno.test("imageGrid takes a [N,H,W,C] tensor; imageGridPng decodes back to the grid", async () => {
  const batch = tf.reshape(tf.linspace(-1, 1, 4 * 36 * 60), [4, 36, 60, 1]);
  const grid = await imageGrid(batch, { cols: 2, padding: 2, scale: 2 });
  assert.equal(grid.width, (2 + 2 * 62) * 2);
  assert.equal(grid.height, (2 + 2 * 38) * 2);
  const png = await imageGridPng(batch, { cols: 2, padding: 2, scale: 2 });
  const decoded = await decodeImage(png);
  assert.equal(decoded.width, grid.width);
  assert.equal(decoded.height, grid.height);
  assert.deepEqual(decoded.data, grid.data);
  batch.dispose();
});
