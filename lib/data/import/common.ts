/**
 * Types and helpers shared by the importers: the in-memory result of an import, the options
 * every format understands, error classes, the skip-bad bookkeeping and a growable sample
 * buffer.
 *
 * @module
 */
import type { PixelImage } from "../../image/io.ts";

/**
 * An imported data set in memory, in the layout of the on-disk dataset (`images.npy`
 * `uint8 [n, height, width, channels]`, `gaze.npy` `float32 [n, 2]`).
 */
export interface ImportedDataset {
  /** `n x height x width x channels`, row-major. */
  images: Uint8Array;
  n: number;
  height: number;
  width: number;
  channels: 1 | 3;
  /** `n x 2` `(pitch, yaw)` radians in the project convention (`lib/data/gaze.ts`); absent
   * for unlabelled data. */
  gaze?: Float32Array;
  /** `n x 3` head `(pitch, yaw, roll)` radians, same convention as the dataset's
   * `head_pose.npy`; only where the source has it. */
  headPose?: Float32Array;
  /** `n x 55 x 2` UnityEyes-style landmarks (interior margin 16, iris 32, caruncle 7) in
   * output pixels, centre of the top-left pixel at (0, 0); only where the source has them. */
  landmarks?: Float32Array;
  /** Where the samples come from: `"synthetic"` (renders) or `"real"` (photographs). */
  domain: "synthetic" | "real";
  /** Source file (relative to the input path) of each sample. */
  files: string[];
  /** JSON-serialisable description: format, source, preprocessing, counts, skipped inputs. */
  meta: Record<string, unknown>;
}

/** Options every importer understands. */
export interface ImportOptions {
  /** Output height and width; defaults depend on the format (see each importer). */
  height?: number;
  width?: number;
  /** Output channels (default 1: BT.601 luma). */
  channels?: 1 | 3;
  /** Histogram-equalise each output image (default false). */
  equalize?: boolean;
  /** Stop after this many samples. */
  limit?: number;
  /** Skip unreadable or malformed inputs instead of failing; they are counted in the meta. */
  skipBad?: boolean;
  /** Called as work progresses (`done` of `total` input files). */
  onProgress?: (done: number, total: number) => void;
}

/** Fatal import problem (nothing to import, bad arguments, unknown format). */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportError";
  }
}

/** One bad input file (or sample); `message` is `file: problem`. Skippable with skipBad. */
export class BadInputError extends Error {
  constructor(public readonly file: string, public readonly problem: string) {
    super(`${file}: ${problem}`);
    this.name = "BadInputError";
  }
}

/** How many inputs were skipped and the first few reasons. */
export interface SkipReport {
  count: number;
  /** `file: problem` for the first {@link SkipLog.keep} skips. */
  first: string[];
}

/** Collects skipped inputs when `skipBad` is on; rethrows otherwise. */
export class SkipLog {
  count = 0;
  readonly first: string[] = [];
  constructor(readonly skipBad: boolean, readonly keep = 10) {}

  /**
   * Handles an error raised while reading one input: records it and returns when skipping,
   * rethrows otherwise. Errors that are not about the input (bugs) are always rethrown.
   */
  bad(err: unknown): void {
    if (!this.skipBad || !isInputError(err)) throw err;
    this.count++;
    if (this.first.length < this.keep) this.first.push((err as Error).message);
  }

  report(): SkipReport {
    return { count: this.count, first: [...this.first] };
  }
}

/** True for errors that describe a bad input file rather than a bug. */
export function isInputError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return ["BadInputError", "ImageDecodeError", "MatFileError"].includes(err.name);
}

/** Per-sample float arrays an import may carry, with their values per sample. */
export const EXTRA_WIDTHS = { gaze: 2, headPose: 3, landmarks: 110 } as const;

/** Name of one per-sample float array. */
export type ExtraName = keyof typeof EXTRA_WIDTHS;

/** A growable stack of equally sized images with optional per-sample float arrays. */
export class SampleBuffer {
  private images: Uint8Array;
  private extras = new Map<ExtraName, Float32Array>();
  readonly files: string[] = [];
  n = 0;
  readonly sampleSize: number;

  /**
   * @param with_ the per-sample arrays every {@link add} must provide.
   */
  constructor(
    readonly height: number,
    readonly width: number,
    readonly channels: 1 | 3,
    readonly with_: readonly ExtraName[],
    capacity = 256,
  ) {
    this.sampleSize = height * width * channels;
    this.images = new Uint8Array(capacity * this.sampleSize);
    for (const k of with_) this.extras.set(k, new Float32Array(capacity * EXTRA_WIDTHS[k]));
  }

  private grow(): void {
    const cap = Math.max(256, Math.ceil((this.images.length / this.sampleSize) * 1.6));
    const images = new Uint8Array(cap * this.sampleSize);
    images.set(this.images);
    this.images = images;
    for (const [k, old] of this.extras) {
      const next = new Float32Array(cap * EXTRA_WIDTHS[k]);
      next.set(old);
      this.extras.set(k, next);
    }
  }

  /** Appends one sample; the image must already have the buffer's size and channels. */
  add(image: PixelImage, file: string, extras: Partial<Record<ExtraName, ArrayLike<number>>> = {}) {
    if (
      image.height !== this.height || image.width !== this.width ||
      image.channels !== this.channels
    ) {
      throw new Error(
        `SampleBuffer: image ${image.width}x${image.height}x${image.channels} does not fit ` +
          `${this.width}x${this.height}x${this.channels}`,
      );
    }
    for (const k of this.with_) {
      const v = extras[k];
      if (!v || v.length !== EXTRA_WIDTHS[k]) {
        throw new Error(`SampleBuffer: ${k} needs ${EXTRA_WIDTHS[k]} values, got ${v?.length}`);
      }
    }
    if ((this.n + 1) * this.sampleSize > this.images.length) this.grow();
    this.images.set(image.data, this.n * this.sampleSize);
    for (const [k, arr] of this.extras) arr.set(extras[k]!, this.n * EXTRA_WIDTHS[k]);
    this.files.push(file);
    this.n++;
  }

  /** The finished data set (arrays trimmed to `n`); `drop` leaves arrays out. */
  finish(
    domain: "synthetic" | "real",
    meta: Record<string, unknown>,
    drop: ExtraName[] = [],
  ): ImportedDataset {
    const out: ImportedDataset = {
      domain,
      images: this.images.slice(0, this.n * this.sampleSize),
      n: this.n,
      height: this.height,
      width: this.width,
      channels: this.channels,
      files: this.files,
      meta,
    };
    for (const [k, arr] of this.extras) {
      if (!drop.includes(k)) out[k] = arr.slice(0, this.n * EXTRA_WIDTHS[k]);
    }
    return out;
  }
}

/** Natural sort of file names: "2.jpg" before "10.jpg". */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

/** Lists the regular files in `dir` (not recursive) whose name matches `pattern`, sorted. */
export async function listFiles(dir: string, pattern: RegExp): Promise<string[]> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new ImportError(`${dir}: no such directory`);
    throw e;
  }
  if (!stat.isDirectory) throw new ImportError(`${dir}: not a directory`);
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if ((entry.isFile || entry.isSymlink) && pattern.test(entry.name)) names.push(entry.name);
  }
  return names.sort(naturalCompare);
}

/** Joins path parts with "/" (inputs are POSIX paths here). */
export function joinPath(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/").replace(/\/+/g, "/");
}

/** Validates common options and fills defaults for height/width/channels where given. */
export function checkOptions(options: ImportOptions): void {
  for (const k of ["height", "width", "limit"] as const) {
    const v = options[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
      throw new ImportError(`${k} must be a positive integer, got ${v}`);
    }
  }
  if ((options.height === undefined) !== (options.width === undefined)) {
    throw new ImportError("give both height and width, or neither");
  }
  if (options.channels !== undefined && options.channels !== 1 && options.channels !== 3) {
    throw new ImportError(`channels must be 1 or 3, got ${options.channels}`);
  }
}

/** Summary statistics of uint8 images, for meta and reports. */
export function pixelStats(
  images: Uint8Array,
): { mean: number; std: number; min: number; max: number } {
  if (images.length === 0) return { mean: 0, std: 0, min: 0, max: 0 };
  let sum = 0;
  let sq = 0;
  let min = 255;
  let max = 0;
  for (let i = 0; i < images.length; i++) {
    const v = images[i];
    sum += v;
    sq += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / images.length;
  return {
    mean,
    std: Math.sqrt(Math.max(0, sq / images.length - mean * mean)),
    min,
    max,
  };
}
