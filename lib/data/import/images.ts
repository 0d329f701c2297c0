/**
 * Importer for a plain folder of PNG/JPEG images: an UNLABELLED domain (e.g. real eye patches
 * as the refiner's target domain). No gaze labels: the result has no `gaze` and its meta says
 * `labelled: false`.
 *
 * @module
 */
import { decodeImage } from "../../image/io.ts";
import { prepareImage } from "../preprocess.ts";
import {
  BadInputError,
  checkOptions,
  type ImportedDataset,
  ImportError,
  type ImportOptions,
  joinPath,
  listFiles,
  SampleBuffer,
  SkipLog,
} from "./common.ts";

/** File names the folder importer reads (case-insensitive). */
export const IMAGE_FILE_PATTERN = /\.(png|jpe?g)$/i;

/**
 * Imports every `.png`, `.jpg` and `.jpeg` file of `dir` (not recursive, natural name order).
 *
 * Size: with `height`/`width` every image is resized to it (area averaging when shrinking by
 * 2x or more, bilinear otherwise); without, all images must have the size of the first
 * readable one, and an image of another size is a bad input. Channels: default 1 (BT.601
 * luma); 3 keeps colour (gray files are replicated).
 *
 * @throws {ImportError} for a missing or empty folder (no image files).
 * @throws {BadInputError} / `ImageDecodeError` for the first bad image unless `skipBad`.
 */
export async function importImageFolder(
  dir: string,
  options: ImportOptions = {},
): Promise<ImportedDataset> {
  checkOptions(options);
  const channels = options.channels ?? 1;
  const names = await listFiles(dir, IMAGE_FILE_PATTERN);
  if (names.length === 0) {
    throw new ImportError(`${dir}: no .png, .jpg or .jpeg images in this folder`);
  }
  const skips = new SkipLog(options.skipBad ?? false);
  let buf: SampleBuffer | undefined;
  let firstName = "";
  const total = options.limit ? Math.min(options.limit, names.length) : names.length;
  let done = 0;
  for (const name of names) {
    if (options.limit && buf && buf.n >= options.limit) break;
    const path = joinPath(dir, name);
    try {
      const img = await decodeImage(await Deno.readFile(path), { name: path, channels });
      if (!buf) {
        buf = new SampleBuffer(
          options.height ?? img.height,
          options.width ?? img.width,
          channels,
          [],
        );
        firstName = name;
      }
      if (options.height === undefined && (img.height !== buf.height || img.width !== buf.width)) {
        throw new BadInputError(
          path,
          `is ${img.width}x${img.height} (width x height), but ${firstName} is ` +
            `${buf.width}x${buf.height}; give --size to resize every image`,
        );
      }
      const out = prepareImage(img, {
        height: buf.height,
        width: buf.width,
        channels,
        equalize: options.equalize,
      });
      buf.add(out, name);
    } catch (e) {
      skips.bad(e);
    }
    options.onProgress?.(++done, total);
  }
  if (!buf || buf.n === 0) {
    throw new ImportError(
      `${dir}: no readable images (${skips.count} bad; first: ${skips.first[0]})`,
    );
  }
  return buf.finish("real", {
    format: "images",
    source: dir,
    labelled: false,
    gaze: "none: unlabelled images (no gaze.npy)",
    resized: options.height !== undefined,
    channels,
    equalized: options.equalize ?? false,
    skipped: skips.report(),
  });
}
