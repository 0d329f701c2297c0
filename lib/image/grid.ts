/**
 * Tiles many small images (or a batch tensor) into one image, for notebooks, reports and
 * sample sheets.
 *
 * The 36x60 eye patches are tiny on screen, so {@link imageGrid} can also enlarge the result by
 * an integer factor with nearest-neighbour sampling (pixels stay crisp and exact).
 *
 * @example
 * ```ts ignore
 * const sheet = await imageGrid(batch, { cols: 8, scale: 3 }); // batch: tf.Tensor [N,H,W,C]
 * await Deno.writeFile("samples.png", await encodePng(sheet));
 * ```
 *
 * @module
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { encodePng, type PixelImage } from "./io.ts";

export type { PixelImage } from "./io.ts";

/**
 * How tensor values map to 0..255.
 * - `[-1,1]`: tanh outputs (the refiner's range): `(v + 1) * 127.5`;
 * - `[0,1]`: `v * 255`;
 * - `[0,255]`: taken as is (uint8-like data, any dtype);
 * - `auto` (default): `int32`/`bool` tensors and float tensors with values above 1 are
 *   `[0,255]`, float tensors with negative values are `[-1,1]`, others `[0,1]`.
 *
 * Values outside the range are clamped; results are rounded.
 */
export type ValueRange = "auto" | "[-1,1]" | "[0,1]" | "[0,255]";

/** Options for {@link imageGrid}. */
export interface GridOptions {
  /** Number of columns; by default `ceil(sqrt(N))`, or `ceil(N / rows)` when `rows` is set. */
  cols?: number;
  /** Number of rows; by default as many as the images need. */
  rows?: number;
  /** Pixels between tiles and around the border, before scaling (default 2). */
  padding?: number;
  /** Gray level (0..255) of the padding and of empty tiles (default 255, white). */
  background?: number;
  /** Integer nearest-neighbour enlargement of the whole grid (default 1). */
  scale?: number;
  /** How a tensor's values map to 0..255 (ignored for {@link PixelImage} inputs). */
  range?: ValueRange;
}

/** What {@link imageGrid} accepts: pixel images, or a tensor `[N,H,W,C]` / `[H,W,C]`, C 1 or 3. */
export type GridInput = readonly PixelImage[] | Tensor;

function isTensor(x: unknown): x is Tensor {
  return typeof x === "object" && x !== null && !Array.isArray(x) && "shape" in x &&
    "dtype" in x && typeof (x as Tensor).data === "function";
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) {
    throw new Error(`imageGrid: ${name} must be a positive integer, got ${v}`);
  }
  return v;
}

/**
 * Converts a tensor `[N,H,W,C]` (or one image `[H,W,C]`), C = 1 or 3, into pixel images.
 *
 * Reads the values with `await data()`, so it works on every backend (webgpu included).
 *
 * @throws if the shape is not `[N,H,W,1|3]` or `[H,W,1|3]`.
 */
export async function tensorToImages(
  tensor: Tensor,
  range: ValueRange = "auto",
): Promise<PixelImage[]> {
  const shape = tensor.shape.length === 3 ? [1, ...tensor.shape] : tensor.shape;
  if (shape.length !== 4 || (shape[3] !== 1 && shape[3] !== 3)) {
    throw new Error(
      `tensorToImages: expected a tensor [N,H,W,C] or [H,W,C] with C 1 or 3, got [${tensor.shape}]`,
    );
  }
  const [n, height, width, channels] = shape as [number, number, number, 1 | 3];
  const values = await tensor.data();
  let resolved = range;
  if (resolved === "auto") {
    if (tensor.dtype === "int32" || tensor.dtype === "bool") resolved = "[0,255]";
    else {
      let min = Infinity, max = -Infinity;
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as number;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      resolved = max > 1.0001 ? "[0,255]" : min < 0 ? "[-1,1]" : "[0,1]";
    }
  }
  const [scale, offset] = resolved === "[-1,1]"
    ? [127.5, 127.5]
    : resolved === "[0,1]"
    ? [255, 0]
    : [1, 0];
  const size = height * width * channels;
  const images: PixelImage[] = [];
  for (let k = 0; k < n; k++) {
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      const v = Math.round((values[k * size + i] as number) * scale + offset);
      data[i] = v < 0 ? 0 : v > 255 ? 255 : Number.isNaN(v) ? 0 : v;
    }
    images.push({ width, height, channels, data });
  }
  return images;
}

/** Enlarges an image by an integer factor, nearest neighbour (each pixel becomes a block). */
export function upscaleNearest(image: PixelImage, factor: number): PixelImage {
  positiveInt("scale", factor, 1);
  if (factor === 1) return image;
  const { width, height, channels, data } = image;
  const w = width * factor, h = height * factor;
  const out = new Uint8Array(w * h * channels);
  const rowBytes = w * channels;
  for (let y = 0; y < height; y++) {
    const row = y * factor * rowBytes;
    for (let x = 0; x < width; x++) {
      const src = (y * width + x) * channels;
      for (let dx = 0; dx < factor; dx++) {
        const dst = row + (x * factor + dx) * channels;
        for (let c = 0; c < channels; c++) out[dst + c] = data[src + c];
      }
    }
    for (let dy = 1; dy < factor; dy++) out.copyWithin(row + dy * rowBytes, row, row + rowBytes);
  }
  return { width: w, height: h, channels, data: out };
}

/**
 * Tiles pixel images row by row into one image (no tensors: see {@link imageGrid}).
 *
 * Tiles are as large as the largest image; smaller images are centred in their tile. Gray
 * images become RGB when any image is RGB. Tile `i` sits at row `floor(i / cols)`, column
 * `i % cols`, its top-left corner at `padding + col * (tileW + padding)`, likewise for y.
 *
 * @throws on an empty list, bad options, more images than `rows * cols`, or inconsistent
 *   image data.
 */
export function tileImages(images: readonly PixelImage[], options: GridOptions = {}): PixelImage {
  const n = images.length;
  if (n === 0) throw new Error("imageGrid: no images to tile");
  const padding = options.padding ?? 2;
  if (!Number.isInteger(padding) || padding < 0) {
    throw new Error(`imageGrid: padding must be a non-negative integer, got ${padding}`);
  }
  const background = options.background ?? 255;
  if (!(background >= 0 && background <= 255)) {
    throw new Error(`imageGrid: background must be in 0..255, got ${background}`);
  }
  let cols: number, rows: number;
  if (options.cols !== undefined) {
    cols = positiveInt("cols", options.cols, 1);
    rows = positiveInt("rows", options.rows, Math.ceil(n / cols));
  } else if (options.rows !== undefined) {
    rows = positiveInt("rows", options.rows, 1);
    cols = Math.ceil(n / rows);
  } else {
    cols = Math.ceil(Math.sqrt(n));
    rows = Math.ceil(n / cols);
  }
  if (rows * cols < n) {
    throw new Error(`imageGrid: ${n} images do not fit in ${rows} rows x ${cols} columns`);
  }
  const channels: 1 | 3 = images.some((im) => im.channels === 3) ? 3 : 1;
  let tileW = 0, tileH = 0;
  for (const [i, im] of images.entries()) {
    if (im.data.length !== im.width * im.height * im.channels) {
      throw new Error(
        `imageGrid: image ${i} has ${im.data.length} values, expected ${im.width}x${im.height}x${im.channels}`,
      );
    }
    tileW = Math.max(tileW, im.width);
    tileH = Math.max(tileH, im.height);
  }
  const width = padding + cols * (tileW + padding);
  const height = padding + rows * (tileH + padding);
  const data = new Uint8Array(width * height * channels).fill(Math.round(background));
  for (const [i, im] of images.entries()) {
    const x0 = padding + (i % cols) * (tileW + padding) + ((tileW - im.width) >> 1);
    const y0 = padding + Math.floor(i / cols) * (tileH + padding) + ((tileH - im.height) >> 1);
    for (let y = 0; y < im.height; y++) {
      for (let x = 0; x < im.width; x++) {
        const src = (y * im.width + x) * im.channels;
        const dst = ((y0 + y) * width + x0 + x) * channels;
        for (let c = 0; c < channels; c++) {
          data[dst + c] = im.data[src + (im.channels === 3 ? c : 0)];
        }
      }
    }
  }
  return upscaleNearest({ width, height, channels, data }, positiveInt("scale", options.scale, 1));
}

/**
 * Tiles pixel images, or a batch tensor `[N,H,W,C]` in `[-1,1]`, `[0,1]` or 0..255, into one
 * image with padding, optional rows/cols and integer nearest-neighbour upscaling.
 *
 * @see tileImages for the layout, {@link ValueRange} for how tensor values are mapped.
 */
export async function imageGrid(input: GridInput, options: GridOptions = {}): Promise<PixelImage> {
  const images = isTensor(input) ? await tensorToImages(input, options.range) : input;
  return tileImages(images, options);
}

/** {@link imageGrid} encoded as PNG bytes. */
export async function imageGridPng(
  input: GridInput,
  options: GridOptions = {},
): Promise<Uint8Array> {
  return await encodePng(await imageGrid(input, options));
}
