/**
 * Data set files: NPY v1.0 arrays plus `meta.json` in one directory, written atomically, and a
 * streaming batch reader.
 *
 * ## Layout of a data set directory
 *
 * | file | dtype | shape | content |
 * |---|---|---|---|
 * | `images.npy` | uint8 | (N, H, W, C) | the domain's images (paired: the target-domain twins) |
 * | `gaze.npy` | float32 | (N, 2) | (pitch, yaw) radians, `lib/data/gaze.ts` convention |
 * | `head_pose.npy` | float32 | (N, 3) | head (pitch, yaw, roll) radians |
 * | `landmarks.npy` | float32 | (N, 55, 2) | UnityEyes-style landmarks, output pixels |
 * | `maps.npy` | uint8 | (N, H, W, 1) | semantic class ids (synthetic and paired sets) |
 * | `synthetic.npy` | uint8 | (N, H, W, C) | the synthetic render of the same parameters (paired) |
 * | `meta.json` | | | generator version, parameters, seed, domain, split, sizes, command |
 *
 * `meta.json` has no timestamp: the same command gives byte-identical files.
 *
 * ```python
 * import numpy as np, json
 * images = np.load("DIR/images.npy")          # (N, 36, 60, 1) uint8
 * gaze = np.load("DIR/gaze.npy")              # (N, 2) float32, pitch/yaw radians
 * meta = json.load(open("DIR/meta.json"))
 * ```
 *
 * ## NPY v1.0
 *
 * `\x93NUMPY`, version bytes `1 0`, a little-endian uint16 header length, then an ASCII Python
 * dict literal `{'descr': '|u1', 'fortran_order': False, 'shape': (N, H, W, C), }` padded with
 * spaces and a final newline so that the data starts at a multiple of 64 bytes; then the data
 * in C order. Versions 2.0 and 3.0 (uint32 header length) are also read.
 *
 * ## Atomic writes
 *
 * Files go to `DIR.partial-<pid>-<n>/`, `meta.json` last; only a finished directory is renamed
 * to `DIR`. An existing `DIR` is refused unless `force`; then it is moved aside, the new one
 * renamed in, and only then is the old one deleted (if the swap fails the old one is put back).
 * {@link writeDirectoryAtomically} does this for any writer; {@link writeDataset} writes
 * in-memory arrays with it, {@link makeDataset} streams rendered batches.
 *
 * ## Reading
 *
 * {@link Dataset.open} checks every array's header against `images.npy` and `meta.json`
 * (mismatched N, dtype or shape, truncated or corrupt files are {@link DatasetFileError}s that
 * name the file), then {@link Dataset.batches} yields batches read with seeks, never loading a
 * whole array; it also opens imported data sets (`lib/data/import/`), whose head pose is 2-D.
 *
 * @module
 */
import {
  type DomainName,
  DOMAINS,
  EyeRenderer,
  GENERATOR_VERSION,
  renderBatch,
  shapesOf,
} from "./domains/mod.ts";
import { LANDMARK_TOTAL } from "./render/geometry.ts";
import { CLASS_NAMES } from "./render/raster.ts";
import { Rng } from "../util/random.ts";
import { exists } from "../util/fs.ts";

// ---------------------------------------------------------------------------------------------
// NPY

/** Data types this module reads and writes. */
export type NpyDescr = "|u1" | "<f4";

/** A parsed NPY header. */
export interface NpyHeader {
  descr: NpyDescr;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the data (header included). */
  dataOffset: number;
}

/** A malformed or unexpected data set file; the message names the file and the problem. */
export class DatasetFileError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = "DatasetFileError";
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes per element. */
export function itemSize(descr: NpyDescr): number {
  return descr === "|u1" ? 1 : 4;
}

function product(shape: number[]): number {
  let p = 1;
  for (const s of shape) p *= s;
  return p;
}

/**
 * The NPY v1.0 header for `shape`, padded so that `(header length) % 64 == 0`.
 * @throws {RangeError} when the header would not fit in 65535 bytes or the shape is invalid.
 */
export function encodeNpyHeader(descr: NpyDescr, shape: number[]): Uint8Array {
  if (!shape.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new RangeError(`encodeNpyHeader: invalid shape (${shape.join(", ")})`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1;
  dict += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  if (dict.length > 65535) throw new RangeError("encodeNpyHeader: header too long for NPY v1.0");
  const out = new Uint8Array(10 + dict.length);
  out.set(MAGIC);
  out[6] = 1;
  out[7] = 0;
  out[8] = dict.length & 0xff;
  out[9] = dict.length >> 8;
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  return out;
}

/**
 * Parses an NPY header from the first bytes of a file (at least the whole header).
 * @param name file name for error messages
 * @throws {DatasetFileError} for a bad magic, version, dict, dtype or Fortran order.
 */
export function parseNpyHeader(bytes: Uint8Array, name: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new DatasetFileError(name, "not an NPY file (missing the \\x93NUMPY magic)");
  }
  const major = bytes[6];
  let headerLen: number, start: number;
  if (major === 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new DatasetFileError(name, "truncated NPY header");
    headerLen = (bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] << 24)) >>> 0;
    start = 12;
  } else {
    throw new DatasetFileError(name, `unsupported NPY version ${major}.${bytes[7]}`);
  }
  if (bytes.length < start + headerLen) {
    throw new DatasetFileError(
      name,
      `truncated NPY header (needs ${start + headerLen} bytes, file has ${bytes.length})`,
    );
  }
  const text = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DatasetFileError(name, `malformed NPY header dict: ${JSON.stringify(text.trim())}`);
  }
  const normDescr = descr === "u1" || descr === "<u1" ? "|u1" : descr;
  if (normDescr !== "|u1" && normDescr !== "<f4") {
    throw new DatasetFileError(name, `unsupported dtype '${descr}' (expected '|u1' or '<f4')`);
  }
  if (fortran === "True") {
    throw new DatasetFileError(name, "Fortran-order arrays are not supported");
  }
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (!shape.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new DatasetFileError(name, `malformed shape (${shapeText})`);
  }
  return { descr: normDescr, fortranOrder: false, shape, dataOffset: start + headerLen };
}

/** The bytes of a typed array in little-endian order. */
function leBytes(data: Uint8Array | Float32Array): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  return out;
}

/** Decodes little-endian float32 bytes. */
function floatsFromLe(bytes: Uint8Array): Float32Array {
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  }
  const out = new Float32Array(bytes.byteLength / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await file.write(bytes.subarray(off));
}

async function readFully(file: Deno.FsFile, into: Uint8Array, name: string): Promise<void> {
  let off = 0;
  while (off < into.length) {
    const n = await file.read(into.subarray(off));
    if (n === null) throw new DatasetFileError(name, "unexpected end of file");
    off += n;
  }
}

/** Writes a whole array as an NPY v1.0 file. */
export async function writeNpy(
  path: string,
  data: Uint8Array | Float32Array,
  shape: number[],
): Promise<void> {
  const descr: NpyDescr = data instanceof Uint8Array ? "|u1" : "<f4";
  if (product(shape) !== data.length) {
    throw new RangeError(`writeNpy ${path}: ${data.length} values for shape (${shape.join(", ")})`);
  }
  const header = encodeNpyHeader(descr, shape);
  const body = leBytes(data);
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  await Deno.writeFile(path, out);
}

/** Reads a whole NPY file (uint8 or float32). */
export async function readNpy(
  path: string,
): Promise<{ header: NpyHeader; data: Uint8Array | Float32Array }> {
  const f = await NpyFile.open(path);
  try {
    return { header: f.header, data: await f.readRows(0, f.rows) };
  } finally {
    f.close();
  }
}

/** Appends rows to an NPY file whose shape is fixed up front; checks the count on close. */
export class NpyWriter {
  #rows = 0;
  private constructor(
    readonly path: string,
    readonly descr: NpyDescr,
    readonly shape: number[],
    private readonly file: Deno.FsFile,
  ) {}

  /** Creates `path` (which must not exist) and writes the header. */
  static async create(path: string, descr: NpyDescr, shape: number[]): Promise<NpyWriter> {
    const file = await Deno.open(path, { write: true, createNew: true });
    await writeAll(file, encodeNpyHeader(descr, shape));
    return new NpyWriter(path, descr, shape, file);
  }

  /** Values per row (product of the shape after the first axis). */
  get rowSize(): number {
    return product(this.shape.slice(1));
  }

  /** Appends whole rows. */
  async append(data: Uint8Array | Float32Array): Promise<void> {
    if ((data instanceof Uint8Array) !== (this.descr === "|u1")) {
      throw new TypeError(`${this.path}: wrong array type for dtype ${this.descr}`);
    }
    if (data.length % this.rowSize !== 0) {
      throw new RangeError(
        `${this.path}: ${data.length} values is not whole rows of ${this.rowSize}`,
      );
    }
    this.#rows += data.length / this.rowSize;
    if (this.#rows > this.shape[0]) throw new RangeError(`${this.path}: more rows than declared`);
    await writeAll(this.file, leBytes(data));
  }

  /** Closes the file; throws if fewer rows than declared were written. */
  close(): void {
    this.file.close();
    if (this.#rows !== this.shape[0]) {
      throw new RangeError(`${this.path}: wrote ${this.#rows} rows, declared ${this.shape[0]}`);
    }
  }

  /** Closes without checking (after an error). */
  abort(): void {
    try {
      this.file.close();
    } catch { /* already closed */ }
  }
}

/** An open NPY file read by rows (slices along the first axis) without loading it whole. */
export class NpyFile {
  private constructor(
    readonly path: string,
    readonly header: NpyHeader,
    private readonly file: Deno.FsFile,
  ) {}

  /**
   * Opens `path`, parses the header and checks that the file size matches the shape.
   * @throws {DatasetFileError} naming the file and the problem.
   */
  static async open(path: string): Promise<NpyFile> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw new DatasetFileError(path, "file not found");
      throw e;
    }
    try {
      const size = (await file.stat()).size;
      const head = new Uint8Array(Math.min(size, 4096));
      await readFully(file, head, path);
      let header = parseNpyHeaderOrNeedMore(head, path);
      if (header === null) {
        const all = new Uint8Array(Math.min(size, 1 << 20));
        await file.seek(0, Deno.SeekMode.Start);
        await readFully(file, all, path);
        header = parseNpyHeader(all, path);
      }
      if (header.shape.length === 0) {
        throw new DatasetFileError(path, "0-d arrays are not supported");
      }
      const expected = header.dataOffset + product(header.shape) * itemSize(header.descr);
      if (size !== expected) {
        throw new DatasetFileError(
          path,
          `size ${size} bytes does not match shape (${header.shape.join(", ")}) ${header.descr}` +
            ` (expected ${expected}${size < expected ? "; file truncated" : ""})`,
        );
      }
      return new NpyFile(path, header, file);
    } catch (e) {
      file.close();
      throw e;
    }
  }

  /** Number of rows (first axis). */
  get rows(): number {
    return this.header.shape[0];
  }

  /** Values per row. */
  get rowSize(): number {
    return product(this.header.shape.slice(1));
  }

  /** Reads rows `start .. start + count - 1`. */
  async readRows(start: number, count: number): Promise<Uint8Array | Float32Array> {
    if (start < 0 || count < 0 || start + count > this.rows) {
      throw new RangeError(
        `${this.path}: rows ${start}..${start + count - 1} out of 0..${this.rows - 1}`,
      );
    }
    const bytes = new Uint8Array(count * this.rowSize * itemSize(this.header.descr));
    await this.readRowsInto(start, bytes);
    return this.header.descr === "|u1" ? bytes : floatsFromLe(bytes);
  }

  /** Reads consecutive rows from `start` into `bytes` (raw little-endian bytes). */
  async readRowsInto(start: number, bytes: Uint8Array): Promise<void> {
    const rowBytes = this.rowSize * itemSize(this.header.descr);
    await this.file.seek(this.header.dataOffset + start * rowBytes, Deno.SeekMode.Start);
    await readFully(this.file, bytes, this.path);
  }

  /** Closes the file. */
  close(): void {
    try {
      this.file.close();
    } catch { /* already closed */ }
  }
}

function parseNpyHeaderOrNeedMore(head: Uint8Array, name: string): NpyHeader | null {
  if (head.length >= 12 && (head[6] === 2 || head[6] === 3)) {
    const len = (head[8] | (head[9] << 8) | (head[10] << 16) | (head[11] << 24)) >>> 0;
    if (12 + len > head.length) return null;
  }
  return parseNpyHeader(head, name);
}

// ---------------------------------------------------------------------------------------------
// Data set metadata

/** Format tag written to `meta.json`. */
export const DATASET_FORMAT = "eyegan-dataset/1";

/** Files of a data set with their dtype. */
export const DATASET_ARRAYS = {
  images: "|u1",
  gaze: "<f4",
  head_pose: "<f4",
  landmarks: "<f4",
  maps: "|u1",
  synthetic: "|u1",
} as const satisfies Record<string, NpyDescr>;

/** Name of one array of a data set. */
export type ArrayName = keyof typeof DATASET_ARRAYS;

/** Contents of `meta.json`. */
export interface DatasetMeta {
  format: string;
  generator: string;
  domain: DomainName;
  split: string;
  seed: number | string;
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  supersample: number;
  /** Arrays present, with their dtype and shape. */
  files: Partial<Record<ArrayName, { dtype: "uint8" | "float32"; shape: number[] }>>;
  gaze_convention: string;
  classes: readonly string[];
  landmarks: Record<string, [number, number]>;
  /** The parameter distributions the samples were drawn from. */
  parameters: unknown;
  created_by: string;
}

/** The arrays a domain's data set holds. */
export function arraysOf(domain: DomainName): ArrayName[] {
  const base: ArrayName[] = ["images", "gaze", "head_pose", "landmarks"];
  if (domain === "synthetic") return [...base, "maps"];
  if (domain === "paired") return [...base, "maps", "synthetic"];
  return base;
}

/** Shape of one array for `n` samples. */
function arrayShape(name: ArrayName, n: number, h: number, w: number, c: number): number[] {
  switch (name) {
    case "images":
    case "synthetic":
      return [n, h, w, c];
    case "maps":
      return [n, h, w, 1];
    case "gaze":
      return [n, 2];
    case "head_pose":
      return [n, 3];
    case "landmarks":
      return [n, LANDMARK_TOTAL, 2];
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Options of {@link makeDataset}. */
export interface MakeDatasetOptions {
  domain: DomainName;
  /** Number of samples. */
  n: number;
  seed?: number | string;
  split?: string;
  height?: number;
  width?: number;
  channels?: 1 | 3;
  supersample?: number;
  /** Replace an existing data set (only once the new one is complete). */
  force?: boolean;
  /** Recorded as `created_by` in `meta.json`. */
  createdBy?: string;
  /** Samples rendered between writes (default 256). */
  batchSize?: number;
  /** Called after every batch with the samples done so far; may throw to abort. */
  onProgress?: (done: number, total: number) => void;
}

/** Thrown when the output directory exists and `force` was not given. */
export class DatasetExistsError extends Error {
  constructor(readonly dir: string) {
    super(`${dir} already exists; pass --force (force: true) to replace it`);
    this.name = "DatasetExistsError";
  }
}

let partialCounter = 0;

/**
 * Creates the directory `dir` atomically: `fill` writes into a fresh sibling
 * `DIR.partial-<pid>-<n>/`, which is renamed to `dir` only when `fill` has returned. An existing
 * `dir` is refused ({@link DatasetExistsError}) unless `force`; then it is moved aside, the new
 * directory renamed in, and only then is the old one deleted (if the swap fails the old one is
 * put back). On any error the partial directory is removed and `dir` is left as it was.
 */
export async function writeDirectoryAtomically<T>(
  dir: string,
  force: boolean,
  fill: (partial: string) => Promise<T>,
): Promise<T> {
  const dest = dir.replace(/\/+$/, "");
  if (dest === "") throw new RangeError("writeDirectoryAtomically: empty directory name");
  if (!force && await exists(dest)) throw new DatasetExistsError(dest);
  const partial = `${dest}.partial-${Deno.pid}-${partialCounter++}`;
  await Deno.mkdir(partial, { recursive: true });
  let result: T;
  try {
    result = await fill(partial);
    if (await exists(dest)) {
      if (!force) throw new DatasetExistsError(dest);
      const old = `${dest}.old-${Deno.pid}-${partialCounter++}`;
      await Deno.rename(dest, old);
      try {
        await Deno.rename(partial, dest);
      } catch (e) {
        await Deno.rename(old, dest);
        throw e;
      }
      await Deno.remove(old, { recursive: true });
    } else {
      await Deno.rename(partial, dest);
    }
  } catch (e) {
    await Deno.remove(partial, { recursive: true }).catch(() => {});
    throw e;
  }
  return result;
}

/** One in-memory array for {@link writeDataset}. */
export interface ArrayData {
  data: Uint8Array | Float32Array;
  shape: number[];
}

/**
 * Writes in-memory arrays (`NAME.npy` each), `meta.json` (last) and optional extra text files
 * as a data set directory, atomically (see {@link writeDirectoryAtomically}).
 *
 * @example
 * ```ts ignore
 * await writeDataset("out", {
 *   arrays: { images: { data: pixels, shape: [n, 36, 60, 1] }, gaze: { data: g, shape: [n, 2] } },
 *   meta: { source: "mpiigaze" },
 * }, { force: false });
 * ```
 */
export async function writeDataset(
  dir: string,
  contents: {
    arrays: Record<string, ArrayData>;
    meta: unknown;
    extraFiles?: Record<string, string>;
  },
  options: { force?: boolean } = {},
): Promise<void> {
  for (const name of Object.keys(contents.arrays)) {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) {
      throw new RangeError(`writeDataset: bad array name '${name}'`);
    }
  }
  await writeDirectoryAtomically(dir, options.force ?? false, async (partial) => {
    for (const [name, a] of Object.entries(contents.arrays)) {
      await writeNpy(`${partial}/${name}.npy`, a.data, a.shape);
    }
    for (const [name, text] of Object.entries(contents.extraFiles ?? {})) {
      await Deno.writeTextFile(`${partial}/${name}`, text);
    }
    await Deno.writeTextFile(`${partial}/meta.json`, JSON.stringify(contents.meta, null, 2) + "\n");
  });
}

/**
 * Renders `n` samples of a domain and writes them as a data set directory `dir`, atomically
 * (see the module documentation), streaming batches to disk. Returns the metadata written.
 *
 * @example
 * ```ts ignore
 * await makeDataset("data/generated/syn", { domain: "synthetic", n: 1000, seed: 1 });
 * ```
 */
export async function makeDataset(dir: string, options: MakeDatasetOptions): Promise<DatasetMeta> {
  const { domain, n } = options;
  if (!DOMAINS.includes(domain)) {
    throw new RangeError(`makeDataset: domain must be one of ${DOMAINS.join(", ")}, got ${domain}`);
  }
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`makeDataset: n must be >= 1, got ${n}`);
  const renderer = new EyeRenderer({
    height: options.height,
    width: options.width,
    channels: options.channels,
    supersample: options.supersample,
  });
  const { height: h, width: w, channels: c } = renderer;
  const spec = { domain, seed: options.seed ?? 0, split: options.split ?? "train" };
  const names = arraysOf(domain);
  return await writeDirectoryAtomically(dir, options.force ?? false, async (partial) => {
    const writers: Partial<Record<ArrayName, NpyWriter>> = {};
    try {
      for (const name of names) {
        writers[name] = await NpyWriter.create(
          `${partial}/${name}.npy`,
          DATASET_ARRAYS[name],
          arrayShape(name, n, h, w, c),
        );
      }
      const batch = Math.max(1, options.batchSize ?? 256);
      for (let start = 0; start < n; start += batch) {
        const b = renderBatch(renderer, spec, start, Math.min(batch, n - start));
        await writers.images!.append(b.images);
        await writers.gaze!.append(b.gaze);
        await writers.head_pose!.append(b.headPose);
        await writers.landmarks!.append(b.landmarks);
        if (writers.maps) await writers.maps.append(b.maps!);
        if (writers.synthetic) await writers.synthetic.append(b.synthetic!);
        options.onProgress?.(start + b.count, n);
      }
      for (const name of names) writers[name]!.close();
    } catch (e) {
      for (const wr of Object.values(writers)) wr?.abort();
      throw e;
    }
    const meta: DatasetMeta = {
      format: DATASET_FORMAT,
      generator: GENERATOR_VERSION,
      domain,
      split: spec.split,
      seed: spec.seed,
      count: n,
      height: h,
      width: w,
      channels: c,
      supersample: renderer.supersample,
      files: Object.fromEntries(names.map((name) => [name, {
        dtype: DATASET_ARRAYS[name] === "|u1" ? "uint8" : "float32",
        shape: arrayShape(name, n, h, w, c),
      }])),
      gaze_convention: "radians; pitch = asin(-y) (up positive), yaw = atan2(-x, -z) (towards " +
        "the image's left positive); camera frame x right, y down, z forward (MPIIGaze/GazeML)",
      classes: CLASS_NAMES,
      landmarks: { interior_margin: [0, 16], iris: [16, 48], caruncle: [48, 55] },
      parameters: shapesOf(domain),
      created_by: options.createdBy ?? "makeDataset()",
    };
    await Deno.writeTextFile(`${partial}/meta.json`, JSON.stringify(meta, null, 2) + "\n");
    return meta;
  });
}

// ---------------------------------------------------------------------------------------------
// Reading

/** One batch from {@link Dataset.batches}. Arrays are in batch order. */
export interface Batch {
  /** Sample indices in the data set. */
  indices: Uint32Array;
  /** Images: uint8 as stored, or float32 in [-1, 1] (`v / 127.5 - 1`). Shape (B, H, W, C). */
  images: Uint8Array | Float32Array;
  /** (B, 2) pitch, yaw. */
  gaze?: Float32Array;
  head_pose?: Float32Array;
  landmarks?: Float32Array;
  /** (B, H, W, 1) class ids. */
  maps?: Uint8Array;
  /** Same format as `images`. */
  synthetic?: Uint8Array | Float32Array;
}

/** Options of {@link Dataset.batches}. */
export interface BatchOptions {
  batchSize: number;
  /** Seed for a shuffled order (a new permutation per call); omit for file order. */
  shuffle?: number | string;
  /** `"float"` (default): images in [-1, 1]; `"uint8"`: raw bytes. */
  format?: "float" | "uint8";
  /** Arrays to read besides `images` (default: `gaze`, if present). */
  include?: Exclude<ArrayName, "images">[];
  /** Drop the last batch if it is smaller than `batchSize`. */
  dropLast?: boolean;
  /** Read only samples `[start, end)` (default: all). */
  start?: number;
  end?: number;
}

/** An open data set directory; arrays are read in slices, never loaded whole. */
export class Dataset {
  private constructor(
    readonly dir: string,
    /** `meta.json` as read (generated sets follow {@link DatasetMeta}; imported ones differ). */
    readonly meta: Record<string, unknown>,
    private readonly files: Map<ArrayName, NpyFile>,
    /** Image size from `images.npy`. */
    readonly height: number,
    readonly width: number,
    readonly channels: number,
  ) {}

  /**
   * Opens `dir`: reads `meta.json` (written last, so its absence means an unfinished or foreign
   * directory) and the header of every known array present (`images.npy` required; see
   * {@link DATASET_ARRAYS}), and checks that all arrays agree on N, on the image size and with
   * `meta.json` (`count` or `n`, `files`). Works for generated and imported data sets.
   *
   * @throws {DatasetFileError} naming the file and the problem.
   */
  static async open(dir: string): Promise<Dataset> {
    const metaPath = `${dir}/meta.json`;
    let meta: Record<string, unknown>;
    try {
      meta = JSON.parse(await Deno.readTextFile(metaPath));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new DatasetFileError(metaPath, "not found (not a data set, or an unfinished one)");
      }
      throw new DatasetFileError(metaPath, `unreadable: ${e instanceof Error ? e.message : e}`);
    }
    if (typeof meta !== "object" || meta === null || Array.isArray(meta)) {
      throw new DatasetFileError(metaPath, "is not a JSON object");
    }
    const listed = (meta.files && typeof meta.files === "object")
      ? Object.keys(meta.files as object)
      : [];
    const files = new Map<ArrayName, NpyFile>();
    try {
      for (const name of Object.keys(DATASET_ARRAYS) as ArrayName[]) {
        const path = `${dir}/${name}.npy`;
        if (!(await exists(path))) {
          if (name === "images" || listed.includes(name)) {
            throw new DatasetFileError(path, "missing (listed in meta.json or required)");
          }
          continue;
        }
        const f = await NpyFile.open(path);
        files.set(name, f);
        if (f.header.descr !== DATASET_ARRAYS[name]) {
          throw new DatasetFileError(
            path,
            `dtype ${f.header.descr}, expected ${DATASET_ARRAYS[name]}`,
          );
        }
      }
      const images = files.get("images")!;
      const ish = images.header.shape;
      if (ish.length !== 4 || (ish[3] !== 1 && ish[3] !== 3)) {
        throw new DatasetFileError(images.path, `shape (${ish.join(", ")}) is not (N, H, W, 1|3)`);
      }
      const [n, h, w, c] = ish;
      const declared = meta.count ?? meta.n;
      if (declared !== undefined && declared !== n) {
        throw new DatasetFileError(
          images.path,
          `has ${n} samples but meta.json says ${declared} (mismatched N)`,
        );
      }
      for (const k of ["height", "width", "channels"] as const) {
        const want = { height: h, width: w, channels: c }[k];
        if (meta[k] !== undefined && meta[k] !== want) {
          throw new DatasetFileError(images.path, `${k} ${want} but meta.json says ${meta[k]}`);
        }
      }
      for (const [name, f] of files) {
        const got = f.header.shape;
        if (got[0] !== n) {
          throw new DatasetFileError(
            f.path,
            `has ${got[0]} samples but images.npy has ${n} (mismatched N)`,
          );
        }
        const ok = name === "head_pose"
          ? got.length === 2 && (got[1] === 2 || got[1] === 3)
          : name === "landmarks"
          ? got.length === 3 && got[2] === 2
          : sameShape(got, arrayShape(name, n, h, w, c));
        if (!ok) {
          throw new DatasetFileError(
            f.path,
            `shape (${got.join(", ")}) does not fit images (${ish.join(", ")})`,
          );
        }
      }
      return new Dataset(dir, meta, files, h, w, c);
    } catch (e) {
      for (const f of files.values()) f.close();
      throw e;
    }
  }

  /** Number of samples. */
  get count(): number {
    return this.files.get("images")!.rows;
  }

  /** Arrays present. */
  get arrays(): ArrayName[] {
    return [...this.files.keys()];
  }

  /** Reads a whole array (small data sets, tests). */
  async readAll(name: ArrayName): Promise<Uint8Array | Float32Array> {
    const f = this.#file(name);
    return await f.readRows(0, f.rows);
  }

  #file(name: ArrayName): NpyFile {
    const f = this.files.get(name);
    if (!f) {
      throw new RangeError(`${this.dir}: data set has no '${name}' array (has ${this.arrays})`);
    }
    return f;
  }

  /** Reads the rows `indices` (any order) of one array, coalescing runs of consecutive rows. */
  async readIndices(
    name: ArrayName,
    indices: ArrayLike<number>,
  ): Promise<Uint8Array | Float32Array> {
    const f = this.#file(name);
    const rowBytes = f.rowSize * itemSize(f.header.descr);
    const out = new Uint8Array(indices.length * rowBytes);
    const order = Array.from({ length: indices.length }, (_, i) => i)
      .sort((a, b) => indices[a] - indices[b]);
    let k = 0;
    while (k < order.length) {
      let run = 1;
      while (k + run < order.length && indices[order[k + run]] === indices[order[k]] + run) run++;
      const tmp = new Uint8Array(run * rowBytes);
      await f.readRowsInto(indices[order[k]], tmp);
      for (let r = 0; r < run; r++) {
        out.set(tmp.subarray(r * rowBytes, (r + 1) * rowBytes), order[k + r] * rowBytes);
      }
      k += run;
    }
    return f.header.descr === "|u1" ? out : floatsFromLe(out);
  }

  /**
   * Yields batches, reading only the rows each batch needs. With `shuffle`, the order is a
   * permutation drawn from `new Rng(shuffle)`; the same seed gives the same order.
   */
  async *batches(options: BatchOptions): AsyncGenerator<Batch> {
    const { batchSize } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batches: batchSize must be >= 1, got ${batchSize}`);
    }
    const start = options.start ?? 0, end = options.end ?? this.count;
    if (start < 0 || end > this.count || start > end) {
      throw new RangeError(`batches: range ${start}..${end} outside 0..${this.count}`);
    }
    const m = end - start;
    let order: Uint32Array;
    if (options.shuffle !== undefined) {
      order = new Rng(options.shuffle).fork("batches").permutation(m);
      for (let i = 0; i < m; i++) order[i] += start;
    } else {
      order = new Uint32Array(m);
      for (let i = 0; i < m; i++) order[i] = start + i;
    }
    const include = options.include ?? (this.files.has("gaze") ? ["gaze"] : []);
    const float = (options.format ?? "float") === "float";
    for (let b = 0; b < m; b += batchSize) {
      if (options.dropLast && b + batchSize > m) break;
      const indices = order.subarray(b, Math.min(m, b + batchSize));
      const raw = (await this.readIndices("images", indices)) as Uint8Array;
      const batch: Batch = { indices: indices.slice(), images: float ? toFloat(raw) : raw };
      for (const name of include) {
        const data = await this.readIndices(name, indices);
        if (name === "synthetic") batch.synthetic = float ? toFloat(data as Uint8Array) : data;
        else if (name === "maps") batch.maps = data as Uint8Array;
        else batch[name] = data as Float32Array;
      }
      yield batch;
    }
  }

  /** Closes every file. */
  close(): void {
    for (const f of this.files.values()) f.close();
  }
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** uint8 -> float32 in [-1, 1]: `v / 127.5 - 1`. */
export function toFloat(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 127.5 - 1;
  return out;
}
