/**
 * Importer for UnityEyes renders (a folder of `N.jpg` + `N.json`), both the original UnityEyes
 * (v1) JSON and the UnityEyes2 JSON.
 *
 * UnityEyes (v1) JSON: every value is a string. `interior_margin_2d` (16 points),
 * `caruncle_2d` (7), `iris_2d` (32) are `"(x, y, z)"` screen coordinates with y UP (image
 * row `y_img = H - y`); `eye_details.look_vec` `"(x, y, z, 0.0)"` is the gaze in Unity's
 * camera frame (converted with `fromUnityEyesLookVec`); `head_pose` `"(pitch, yaw, roll)"`
 * degrees (Unity Euler angles of the head; not converted, not stored).
 *
 * Crop (as GazeML's UnityEyes reader): inner corner = mean of `caruncle_2d`, outer corner =
 * `interior_margin_2d[8]`, box width = 1.5 x |dx| between the corners, box centre = middle of
 * the bounding box of `interior_margin_2d`, box height = width x out height / out width.
 *
 * UnityEyes2 JSON: `{"ground_truth": {"iris_center": "(x, y, z)", "gaze_vec": "(x, y, z, 0)"}}`.
 * There are no 2-D landmarks, and `iris_center` is a 3-D point in the renderer's frame (the
 * same value in every published render), not a pixel position. UnityEyes2 frames the eyeball
 * at the image centre at a fixed distance, so the crop is a fixed box: centred on the image
 * centre, {@link UE2_CROP_WIDTH_FRACTION} of the image width wide (512 px of a 640x480
 * render), height from the output aspect. `gaze_vec` uses UnityEyes' `look_vec` convention.
 *
 * @module
 */
import { decodeImage, type PixelImage } from "../../image/io.ts";
import { fromUnityEyesLookVec, type PitchYaw } from "../gaze.ts";
import { type CropBox, cropBox, equalizeHistogram, toChannels } from "../preprocess.ts";
import {
  BadInputError,
  checkOptions,
  type ImportedDataset,
  ImportError,
  type ImportOptions,
  joinPath,
  listFiles,
  naturalCompare,
  SampleBuffer,
  SkipLog,
} from "./common.ts";

/** Width of the UnityEyes2 crop box as a fraction of the image width. */
export const UE2_CROP_WIDTH_FRACTION = 0.8;

/** A 2-D point in image coordinates (x right, y down, pixels). */
export interface Point2 {
  x: number;
  y: number;
}

/** A parsed UnityEyes (v1) annotation, landmarks still in UnityEyes screen coordinates. */
export interface UnityEyesV1 {
  version: 1;
  /** `interior_margin_2d` as `[x, y, z]` with y up. */
  interiorMargin: number[][];
  caruncle: number[][];
  iris: number[][];
  /** `eye_details.look_vec` (x, y, z). */
  lookVec: [number, number, number];
  /** `head_pose` (pitch, yaw, roll) degrees, when present. */
  headPose?: [number, number, number];
}

/** A parsed UnityEyes2 annotation. */
export interface UnityEyesV2 {
  version: 2;
  irisCenter: [number, number, number];
  gazeVec: [number, number, number];
}

/** Either annotation layout. */
export type UnityEyesAnnotation = UnityEyesV1 | UnityEyesV2;

/**
 * Parses a UnityEyes tuple string such as `"(371.4855, 296.4230, 8.8595)"`.
 *
 * @param minLength the least number of components accepted.
 * @throws {Error} with a message quoting the bad string.
 */
export function parseTuple(value: unknown, minLength = 1): number[] {
  if (typeof value !== "string") {
    throw new Error(`expected a "(x, y, z)" string, got ${JSON.stringify(value)}`);
  }
  const m = /^\s*\(([^()]*)\)\s*$/.exec(value);
  if (!m) throw new Error(`expected a "(x, y, z)" string, got ${JSON.stringify(value)}`);
  const parts = m[1].split(",").map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((p) => p === "") || nums.some((v) => !Number.isFinite(v))) {
    throw new Error(`bad number in ${JSON.stringify(value)}`);
  }
  if (nums.length < minLength) {
    throw new Error(`expected at least ${minLength} numbers in ${JSON.stringify(value)}`);
  }
  return nums;
}

function field(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object" || !(key in cur)) {
      throw new Error(`missing field ${path}`);
    }
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function points(obj: unknown, path: string, minCount: number): number[][] {
  const list = field(obj, path);
  if (!Array.isArray(list)) throw new Error(`field ${path} is not a list`);
  if (list.length < minCount) {
    throw new Error(`field ${path} has ${list.length} points, expected at least ${minCount}`);
  }
  return list.map((v, i) => {
    try {
      return parseTuple(v, 2);
    } catch (e) {
      throw new Error(`${path}[${i}]: ${(e as Error).message}`);
    }
  });
}

function triple(obj: unknown, path: string): [number, number, number] {
  try {
    const t = parseTuple(field(obj, path), 3);
    return [t[0], t[1], t[2]];
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.startsWith("missing") ? msg : `${path}: ${msg}`);
  }
}

/**
 * Parses the text of a UnityEyes or UnityEyes2 JSON file.
 *
 * @param name the file, for messages.
 * @throws {BadInputError} for malformed JSON, a JSON of neither layout, missing fields, or
 *   values that are not `"(x, y, z)"` strings.
 */
export function parseUnityEyesJson(text: string, name = "<json>"): UnityEyesAnnotation {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new BadInputError(name, `malformed JSON (${(e as Error).message})`);
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw new BadInputError(name, "malformed annotation: the JSON is not an object");
  }
  try {
    if ("ground_truth" in obj) {
      return {
        version: 2,
        irisCenter: triple(obj, "ground_truth.iris_center"),
        gazeVec: triple(obj, "ground_truth.gaze_vec"),
      };
    }
    const keys = ["interior_margin_2d", "caruncle_2d", "eye_details"];
    if (!keys.some((k) => k in obj)) {
      throw new Error(
        "neither a UnityEyes annotation (interior_margin_2d, caruncle_2d, iris_2d, " +
          "eye_details.look_vec) nor a UnityEyes2 one (ground_truth.gaze_vec); keys: " +
          Object.keys(obj).slice(0, 8).join(", "),
      );
    }
    const out: UnityEyesV1 = {
      version: 1,
      interiorMargin: points(obj, "interior_margin_2d", 9),
      caruncle: points(obj, "caruncle_2d", 1),
      iris: "iris_2d" in obj ? points(obj, "iris_2d", 1) : [],
      lookVec: triple(obj, "eye_details.look_vec"),
    };
    if ("head_pose" in obj) out.headPose = triple(obj, "head_pose");
    return out;
  } catch (e) {
    throw new BadInputError(name, (e as Error).message);
  }
}

/** Converts a UnityEyes screen point (y up) to image coordinates (y down). */
export function toImagePoint(p: readonly number[], imageHeight: number): Point2 {
  return { x: p[0], y: imageHeight - p[1] };
}

/**
 * The GazeML crop box of a UnityEyes (v1) annotation, in image coordinates of a render
 * `imageHeight` pixels high; the box has the aspect `outHeight / outWidth`.
 */
export function unityEyesCropBox(
  ann: UnityEyesV1,
  imageHeight: number,
  outWidth: number,
  outHeight: number,
): CropBox & { innerCorner: Point2; outerCorner: Point2 } {
  const margin = ann.interiorMargin.map((p) => toImagePoint(p, imageHeight));
  const car = ann.caruncle.map((p) => toImagePoint(p, imageHeight));
  const inner = {
    x: car.reduce((a, p) => a + p.x, 0) / car.length,
    y: car.reduce((a, p) => a + p.y, 0) / car.length,
  };
  const outer = margin[8];
  const width = 1.5 * Math.abs(inner.x - outer.x);
  const xs = margin.map((p) => p.x);
  const ys = margin.map((p) => p.y);
  const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
  const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
  return {
    cx,
    cy,
    width,
    height: width * outHeight / outWidth,
    angle: 0,
    innerCorner: inner,
    outerCorner: outer,
  };
}

/**
 * The 55 landmarks of a UnityEyes (v1) annotation (interior margin 16, iris 32, caruncle 7, the
 * order of the project's renderer) in the pixels of the crop `box` sampled at
 * `outWidth x outHeight`, as `[x0, y0, x1, y1, ...]` with the centre of the top-left output
 * pixel at (0, 0) (the convention of `landmarks.npy`).
 */
export function cropLandmarks(
  ann: UnityEyesV1,
  imageHeight: number,
  box: CropBox,
  outWidth: number,
  outHeight: number,
): Float32Array {
  const out = new Float32Array(110).fill(NaN);
  const cos = Math.cos(box.angle ?? 0), sin = Math.sin(box.angle ?? 0);
  const sx = outWidth / box.width, sy = outHeight / box.height;
  const place = (p: number[], k: number) => {
    const q = toImagePoint(p, imageHeight);
    const dx = q.x - box.cx, dy = q.y - box.cy;
    out[2 * k] = (dx * cos + dy * sin) * sx + outWidth / 2 - 0.5;
    out[2 * k + 1] = (-dx * sin + dy * cos) * sy + outHeight / 2 - 0.5;
  };
  ann.interiorMargin.slice(0, 16).forEach((p, i) => place(p, i));
  ann.iris.slice(0, 32).forEach((p, i) => place(p, 16 + i));
  ann.caruncle.slice(0, 7).forEach((p, i) => place(p, 48 + i));
  return out;
}

/** The fixed UnityEyes2 crop box for a `imageWidth x imageHeight` render. */
export function unityEyes2CropBox(
  imageWidth: number,
  imageHeight: number,
  outWidth: number,
  outHeight: number,
): CropBox {
  const width = UE2_CROP_WIDTH_FRACTION * imageWidth;
  return {
    cx: imageWidth / 2,
    cy: imageHeight / 2,
    width,
    height: width * outHeight / outWidth,
    angle: 0,
  };
}

/** The gaze label of an annotation (project convention, radians). */
export function unityEyesGaze(ann: UnityEyesAnnotation): PitchYaw {
  const [x, y, z] = ann.version === 1 ? ann.lookVec : ann.gazeVec;
  return fromUnityEyesLookVec(x, y, z);
}

/** Options of {@link processUnityEyesSample}. */
export interface UnityEyesSampleOptions {
  width: number;
  height: number;
  channels: 1 | 3;
  equalize?: boolean;
}

/**
 * Crops, converts and labels one UnityEyes sample.
 *
 * @param image the decoded render.
 * @throws {BadInputError} when the crop box does not lie on the image (the JSON does not
 *   belong to this image, or the image was resized).
 */
export function processUnityEyesSample(
  image: PixelImage,
  ann: UnityEyesAnnotation,
  name: string,
  options: UnityEyesSampleOptions,
): { image: PixelImage; gaze: PitchYaw; box: CropBox; landmarks?: Float32Array } {
  const { width: ow, height: oh } = options;
  const box = ann.version === 1
    ? unityEyesCropBox(ann, image.height, ow, oh)
    : unityEyes2CropBox(image.width, image.height, ow, oh);
  if (!(box.width >= 2)) {
    throw new BadInputError(name, `degenerate eye: corners only ${box.width / 1.5} px apart`);
  }
  if (box.cx < 0 || box.cy < 0 || box.cx > image.width || box.cy > image.height) {
    throw new BadInputError(
      name,
      `eye centre (${box.cx.toFixed(1)}, ${box.cy.toFixed(1)}) lies outside the ` +
        `${image.width}x${image.height} image: the landmarks do not match this image`,
    );
  }
  if (box.width > 4 * image.width) {
    throw new BadInputError(
      name,
      `eye box ${box.width.toFixed(0)} px wide for a ${image.width} px image: the landmarks ` +
        "do not match this image",
    );
  }
  let gaze: PitchYaw;
  try {
    gaze = unityEyesGaze(ann);
  } catch (e) {
    throw new BadInputError(name, `bad gaze vector (${(e as Error).message})`);
  }
  const src = image.channels === options.channels ? image : toChannels(image, options.channels);
  let out = cropBox(src, box, ow, oh, { fill: "edge" });
  if (options.equalize) out = equalizeHistogram(out);
  if (ann.version === 2) return { image: out, gaze, box };
  return { image: out, gaze, box, landmarks: cropLandmarks(ann, image.height, box, ow, oh) };
}

/**
 * Imports a folder of UnityEyes or UnityEyes2 renders.
 *
 * Defaults: 36 x 60 (height x width), 1 channel. Samples are taken in natural order of their
 * names ("2" before "10"). A JSON without its image, an image without its JSON, unreadable
 * images, malformed JSON and annotations whose crop misses the image are bad inputs.
 *
 * @throws {ImportError} when the folder has no UnityEyes samples at all.
 * @throws {BadInputError} (or `ImageDecodeError`) for the first bad input unless `skipBad`.
 */
export async function importUnityEyes(
  dir: string,
  options: ImportOptions = {},
): Promise<ImportedDataset> {
  checkOptions(options);
  const height = options.height ?? 36;
  const width = options.width ?? 60;
  const channels = options.channels ?? 1;
  const names = await listFiles(dir, /\.(json|jpe?g|png)$/i);
  const stems = new Map<string, { json?: string; image?: string }>();
  for (const n of names) {
    const dot = n.lastIndexOf(".");
    const stem = n.slice(0, dot);
    const entry = stems.get(stem) ?? {};
    if (n.slice(dot).toLowerCase() === ".json") entry.json = n;
    else entry.image = entry.image ?? n;
    stems.set(stem, entry);
  }
  if (stems.size === 0) {
    throw new ImportError(
      `${dir}: no UnityEyes samples (N.jpg + N.json) in this folder`,
    );
  }
  const keys = [...stems.keys()].sort(naturalCompare);
  const skips = new SkipLog(options.skipBad ?? false);
  const buf = new SampleBuffer(height, width, channels, ["gaze", "landmarks"]);
  const noLandmarks = new Float32Array(110).fill(NaN);
  const versions = new Set<number>();
  const total = options.limit ? Math.min(options.limit, keys.length) : keys.length;
  let done = 0;
  for (const key of keys) {
    if (options.limit && buf.n >= options.limit) break;
    const { json, image } = stems.get(key)!;
    try {
      if (!json) throw new BadInputError(joinPath(dir, image!), `no annotation ${key}.json`);
      if (!image) throw new BadInputError(joinPath(dir, json), `no image ${key}.jpg`);
      const jsonPath = joinPath(dir, json);
      const ann = parseUnityEyesJson(await Deno.readTextFile(jsonPath), jsonPath);
      const imagePath = joinPath(dir, image);
      const decoded = await decodeImage(await Deno.readFile(imagePath), {
        name: imagePath,
        channels: channels === 1 ? 1 : 3,
      });
      const s = processUnityEyesSample(decoded, ann, imagePath, {
        width,
        height,
        channels,
        equalize: options.equalize,
      });
      buf.add(s.image, image, {
        gaze: [s.gaze.pitch, s.gaze.yaw],
        landmarks: s.landmarks ?? noLandmarks,
      });
      versions.add(ann.version);
    } catch (e) {
      skips.bad(e);
    }
    options.onProgress?.(++done, total);
  }
  if (buf.n === 0) {
    throw new ImportError(
      `${dir}: no usable UnityEyes samples (${skips.count} bad; first: ${skips.first[0]})`,
    );
  }
  const layouts = [...versions].sort().map((v) => v === 1 ? "UnityEyes" : "UnityEyes2");
  return buf.finish("synthetic", {
    format: "unityeyes",
    source: dir,
    layouts,
    labelled: true,
    gaze: "pitch, yaw radians; project convention (lib/data/gaze.ts); from look_vec/gaze_vec",
    crop: versions.has(1)
      ? "GazeML: width 1.5 x corner distance (mean caruncle_2d to interior_margin_2d[8]), " +
        "centred on the interior margin's bounding box"
      : undefined,
    crop2: versions.has(2)
      ? `UnityEyes2: fixed box, centre of the image, ${UE2_CROP_WIDTH_FRACTION} x image width`
      : undefined,
    channels,
    equalized: options.equalize ?? false,
    landmarks: versions.has(2)
      ? "none (UnityEyes2 annotations have no landmarks)"
      : "interior_margin_2d, iris_2d, caruncle_2d mapped into the crop (landmarks.npy)",
    skipped: skips.report(),
  }, versions.has(2) ? ["landmarks"] : []);
}
