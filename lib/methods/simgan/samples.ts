/**
 * What SimGAN shows while and after it trains: a fixed set of synthetic images x and target
 * images y, and the grid rows x | R(x) | |R(x) - x| | y, used for the run's sample grids
 * (`samples/step-NNNNNN.png`), the report and the notebook.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { quantiseImages } from "../../eval/refiner.ts";
import type { PixelImage } from "../../image/grid.ts";
import type { ImageShape } from "../image_pool.ts";
import { type Run, writeSampleGrid } from "../../train/run.ts";

/** Images per row of the sample grids (and of the report's grids). */
export const SAMPLE_COUNT = 8;

/** Gain of the difference row: |R(x) - x| in gray levels, times this (clipped to 255). */
export const DIFF_GAIN = 4;

/** Fixed images to show: `[n, H, W, C]` bytes (0..255) of each domain. */
export interface SampleImages {
  /** Synthetic images x. */
  synthetic: Uint8Array;
  /** Target-domain images y (unpaired). */
  target: Uint8Array;
  /** One image's size. */
  shape: ImageShape;
}

/** One labelled row of pixel images. */
export interface SampleRow {
  label: string;
  images: PixelImage[];
}

/**
 * The first `n` images of each domain's byte array (`[N, H, W, C]`), as {@link SampleImages}.
 * Taking them from the arrays, not from the training streams, leaves the streams' positions (and
 * so an exact resume) untouched.
 */
export function pickSamples(
  synthetic: Uint8Array,
  target: Uint8Array,
  shape: ImageShape,
  n: number,
): SampleImages {
  const per = shape.height * shape.width * shape.channels;
  const take = (a: Uint8Array) => a.slice(0, Math.min(n, Math.floor(a.length / per)) * per);
  return { synthetic: take(synthetic), target: take(target), shape };
}

/** Splits `[N, H, W, C]` uint8 bytes into N images. */
export function splitImages(bytes: Uint8Array, shape: ImageShape): PixelImage[] {
  const per = shape.height * shape.width * shape.channels;
  return Array.from({ length: bytes.length / per }, (_, i) => ({
    width: shape.width,
    height: shape.height,
    channels: shape.channels as 1 | 3,
    data: bytes.slice(i * per, (i + 1) * per),
  }));
}

/**
 * Refines the synthetic samples with `refine` and returns the four rows: synthetic, refined,
 * |refined - synthetic| x {@link DIFF_GAIN} (in gray levels) and target. Leaks no tensors.
 *
 * @param refine R for inference (e.g. `gan.refine`); its output is disposed here.
 * @param samples the fixed images.
 * @param labels names of the refined and target rows (default `refined`, `target`).
 */
export async function refinementRows(
  refine: (x: tf.Tensor4D) => tf.Tensor4D,
  samples: SampleImages,
  labels: { refined?: string; target?: string } = {},
): Promise<SampleRow[]> {
  const { height, width, channels } = samples.shape;
  const n = samples.synthetic.length / (height * width * channels);
  const x = tf.tidy(() =>
    tf.sub(
      tf.div(tf.tensor4d(samples.synthetic, [n, height, width, channels], "float32"), 127.5),
      1,
    ) as tf.Tensor4D
  );
  let refinedValues: Float32Array;
  try {
    const r = refine(x);
    try {
      refinedValues = (await r.data()) as Float32Array;
    } finally {
      r.dispose();
    }
  } finally {
    x.dispose();
  }
  // as the refined data sets are written
  const refined = quantiseImages(refinedValues).bytes;
  const diff = new Uint8Array(refined.length);
  for (let i = 0; i < diff.length; i++) {
    diff[i] = Math.min(255, Math.abs(refined[i] - samples.synthetic[i]) * DIFF_GAIN);
  }
  return [
    { label: "synthetic x", images: splitImages(samples.synthetic, samples.shape) },
    { label: labels.refined ?? "refined R(x)", images: splitImages(refined, samples.shape) },
    { label: `|R(x) - x| x${DIFF_GAIN}`, images: splitImages(diff, samples.shape) },
    {
      label: labels.target ?? "target y (unpaired)",
      images: splitImages(samples.target, samples.shape),
    },
  ];
}

/**
 * The rows as one list of tiles, row by row, each row padded to the widest with white tiles,
 * with the column count (for `writeSampleGrid` / `tileImages`).
 */
export function rowsToTiles(rows: readonly SampleRow[]): { tiles: PixelImage[]; cols: number } {
  const cols = Math.max(...rows.map((r) => r.images.length));
  const tiles: PixelImage[] = [];
  for (const row of rows) {
    for (let c = 0; c < cols; c++) {
      const im = row.images[c] ??
        { ...row.images[0], data: new Uint8Array(row.images[0].data.length).fill(255) };
      tiles.push(im);
    }
  }
  return { tiles, cols };
}

/**
 * Writes `rows` as the run's sample grid of `step` (`samples/step-NNNNNN.png`, one row each) and
 * passes them with the grid's path to `onSample` (a task option). Every training task's
 * `onSample` hook.
 */
export async function writeSampleRows(
  run: Run,
  step: number,
  rows: SampleRow[],
  onSample?: (step: number, rows: SampleRow[], path: string) => void | Promise<void>,
): Promise<void> {
  const { tiles, cols } = rowsToTiles(rows);
  const path = await writeSampleGrid(run, step, tiles, { cols, rows: rows.length });
  await onSample?.(step, rows, path);
}
