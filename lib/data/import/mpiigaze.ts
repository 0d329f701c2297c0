/**
 * Importer for MPIIGaze "Normalized" data: `Data/Normalized/pXX/dayNN.mat` (MAT v5, read with
 * the project's own reader in `matv5.ts`).
 *
 * Layout of each file: a struct `data` with fields `left` and `right`, each a struct with
 * `gaze` (N x 3 double, unit gaze vectors in the normalised camera frame), `image`
 * (N x 36 x 60 uint8 gray eye patches) and `pose` (N x 3 double, Rodrigues head rotation);
 * next to `data`, `filenames` (not needed here).
 *
 * Output: all left eyes of a file, then all its right eyes MIRRORED left-right with yaw
 * negated (gaze and head pose), so every sample looks like a left eye; files in natural
 * path order. Gaze: `fromMpiiGazeVector` (pitch = asin(-y), yaw = atan2(-x, -z)). Head pose:
 * the z axis of the Rodrigues rotation `v = R[:, 2]`, pitch = asin(v_y), yaw = atan2(v_x, v_z)
 * (the usual MPIIGaze preprocessing).
 *
 * @module
 */
import { fromMpiiGazeVector, type PitchYaw } from "../gaze.ts";
import { flipHorizontal, prepareImage } from "../preprocess.ts";
import {
  BadInputError,
  checkOptions,
  type ImportedDataset,
  ImportError,
  type ImportOptions,
  naturalCompare,
  SampleBuffer,
  SkipLog,
} from "./common.ts";
import { describeMat, type MatStruct, type MatValue, parseMat } from "./matv5.ts";

/** One eye's arrays from a Normalized file, row-major. */
export interface MpiiEyeArrays {
  n: number;
  height: number;
  width: number;
  /** n x height x width. */
  image: Uint8Array;
  /** n x 3 gaze vectors. */
  gaze: Float64Array;
  /** n x 3 Rodrigues head rotations. */
  pose: Float64Array;
}

/** The two eyes of a Normalized file. */
export interface MpiiGazeFile {
  left: MpiiEyeArrays;
  right: MpiiEyeArrays;
}

/** A head pose in the project convention (radians). */
export interface HeadPose {
  /** Face turned up positive. */
  pitch: number;
  /** Face turned towards the image's left positive. */
  yaw: number;
  /** Eye turned clockwise in the image positive. */
  roll: number;
}

/** The rotation matrix (row-major 3x3) of a Rodrigues vector. */
export function rodriguesMatrix(rx: number, ry: number, rz: number): number[] {
  const theta = Math.hypot(rx, ry, rz);
  if (theta < 1e-12) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const kx = rx / theta, ky = ry / theta, kz = rz / theta;
  const c = Math.cos(theta), s = Math.sin(theta), t = 1 - c;
  return [
    c + t * kx * kx,
    t * kx * ky - s * kz,
    t * kx * kz + s * ky,
    t * ky * kx + s * kz,
    c + t * ky * ky,
    t * ky * kz - s * kx,
    t * kz * kx - s * ky,
    t * kz * ky + s * kx,
    c + t * kz * kz,
  ];
}

/**
 * Head (pitch, yaw) from a Rodrigues rotation vector (MPIIGaze's `pose`): the rotated z axis
 * `v = R e_z` (pointing from the face into the head), `pitch = asin(v_y)`,
 * `yaw = atan2(v_x, v_z)`: the usual MPIIGaze preprocessing, and the project's gaze
 * convention applied to the direction the face points at (`-v`).
 */
export function rodriguesToPitchYaw(rx: number, ry: number, rz: number): PitchYaw {
  const m = rodriguesMatrix(rx, ry, rz);
  const vx = m[2], vy = m[5], vz = m[8];
  return { pitch: Math.asin(Math.max(-1, Math.min(1, vy))), yaw: Math.atan2(vx, vz) };
}

/**
 * Head (pitch, yaw, roll) from a Rodrigues rotation vector: pitch and yaw as
 * {@link rodriguesToPitchYaw}; roll is what remains after undoing them,
 * `R0 = Ry(yaw) Rx(-pitch)` (which maps e_z to v), `Rr = R0^T R`, `roll = atan2(Rr[1][0],
 * Rr[0][0])`: positive turns the eye clockwise in the image (x right, y down).
 */
export function rodriguesToHeadPose(rx: number, ry: number, rz: number): HeadPose {
  const m = rodriguesMatrix(rx, ry, rz);
  const { pitch, yaw } = rodriguesToPitchYaw(rx, ry, rz);
  // R0 = Ry(yaw) Rx(-pitch); columns e0 = R0 e_x, e1 = R0 e_y.
  const cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
  // Rx(-pitch): [[1,0,0],[0,cp,sp],[0,-sp,cp]]; Ry(yaw): [[cy,0,sy],[0,1,0],[-sy,0,cy]].
  const e0 = [cy, 0, -sy];
  const e1 = [sy * -sp, cp, cy * -sp];
  // R e_x (first column of R).
  const rx0 = [m[0], m[3], m[6]];
  const a = e0[0] * rx0[0] + e0[1] * rx0[1] + e0[2] * rx0[2];
  const b = e1[0] * rx0[0] + e1[1] * rx0[1] + e1[2] * rx0[2];
  return { pitch, yaw, roll: Math.atan2(b, a) };
}

function asStruct(v: MatValue | undefined, what: string, file: string): MatStruct {
  if (!v) throw new BadInputError(file, `${what} is missing: not an MPIIGaze Normalized file`);
  if (v.kind !== "struct" || v.elements.length !== 1) {
    throw new BadInputError(
      file,
      `${what} should be a 1x1 struct, is ${describeMat(v)}: not an MPIIGaze Normalized file`,
    );
  }
  return v;
}

function eyeArrays(s: MatStruct, eye: string, file: string): MpiiEyeArrays {
  const rec = s.elements[0];
  const need = ["gaze", "image", "pose"];
  const missing = need.filter((f) => !(f in rec));
  if (missing.length) {
    throw new BadInputError(
      file,
      `data.${eye} has no field ${missing.join(", ")} (fields: ${s.fieldNames.join(", ")})`,
    );
  }
  const image = rec.image;
  if (image.kind !== "numeric" || image.class !== "uint8") {
    throw new BadInputError(file, `data.${eye}.image should be uint8, is ${describeMat(image)}`);
  }
  let dims = image.dims;
  if (dims.length === 2) dims = [1, ...dims]; // a writer may squeeze N = 1 to 36 x 60
  if (dims.length !== 3 || dims[1] !== 36 || dims[2] !== 60) {
    throw new BadInputError(
      file,
      `data.${eye}.image should be N x 36 x 60, is [${image.dims.join(" x ")}]`,
    );
  }
  const [n, height, width] = dims;
  const vec3 = (name: "gaze" | "pose"): Float64Array => {
    const v = rec[name];
    if (v.kind !== "numeric" || v.class === "int64" || v.class === "uint64") {
      throw new BadInputError(file, `data.${eye}.${name} should be numeric, is ${describeMat(v)}`);
    }
    if (v.dims.length !== 2 || v.dims[0] !== n || v.dims[1] !== 3) {
      throw new BadInputError(
        file,
        `data.${eye}.${name} should be ${n} x 3 (one row per image), is [${v.dims.join(" x ")}]`,
      );
    }
    return Float64Array.from(v.data as ArrayLike<number>);
  };
  return {
    n,
    height,
    width,
    image: image.data as Uint8Array,
    gaze: vec3("gaze"),
    pose: vec3("pose"),
  };
}

/**
 * Reads the `data.left` / `data.right` arrays of an MPIIGaze Normalized MAT file.
 *
 * @throws {MatFileError} for files that are not readable MAT v5 (truncated, v7.3, ...).
 * @throws {BadInputError} for MAT files of another layout (no `data`, missing fields, wrong
 *   dimensions).
 */
export function parseMpiiGazeMat(bytes: Uint8Array, file = "<bytes>"): MpiiGazeFile {
  const mat = parseMat(bytes, file, { only: ["data"] });
  const data = mat.variables.get("data");
  if (!data) {
    throw new BadInputError(
      file,
      "no variable 'data': not an MPIIGaze Normalized file (expected data.left / data.right)",
    );
  }
  const s = asStruct(data, "variable 'data'", file);
  const left = eyeArrays(asStruct(s.elements[0].left, "data.left", file), "left", file);
  const right = eyeArrays(asStruct(s.elements[0].right, "data.right", file), "right", file);
  if (left.height !== right.height || left.width !== right.width) {
    throw new BadInputError(
      file,
      `left images are ${left.height}x${left.width} but right ones ${right.height}x${right.width}`,
    );
  }
  return { left, right };
}

/** Finds the `.mat` files under `path` (a file, or a folder searched recursively). */
export async function findMatFiles(path: string): Promise<string[]> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new ImportError(`${path}: no such file or folder`);
    throw e;
  }
  if (stat.isFile) return [path];
  const out: string[] = [];
  const walk = async (dir: string) => {
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(dir)) entries.push(e);
    for (const e of entries.sort((a, b) => naturalCompare(a.name, b.name))) {
      const p = `${dir.replace(/\/+$/, "")}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (/\.mat$/i.test(e.name)) out.push(p);
    }
  };
  await walk(path);
  return out;
}

/**
 * Imports MPIIGaze Normalized `.mat` files: `path` is one file or a folder (e.g.
 * `MPIIGaze/Data/Normalized`), searched recursively.
 *
 * Defaults: the native 36 x 60, 1 channel. With another size every patch is resized; with 3
 * channels the gray patches are replicated. A file that cannot be read or has the wrong
 * layout is one bad input (skipped whole with `skipBad`); so is a sample with an invalid gaze
 * vector.
 *
 * @throws {ImportError} when there are no `.mat` files or nothing usable.
 */
export async function importMpiiGaze(
  path: string,
  options: ImportOptions = {},
): Promise<ImportedDataset> {
  checkOptions(options);
  const channels = options.channels ?? 1;
  const files = await findMatFiles(path);
  if (files.length === 0) throw new ImportError(`${path}: no .mat files found`);
  const skips = new SkipLog(options.skipBad ?? false);
  const height = options.height ?? 36;
  const width = options.width ?? 60;
  const buf = new SampleBuffer(height, width, channels, ["gaze", "headPose"]);
  const perFile: { file: string; left: number; right: number }[] = [];
  const base = path.replace(/\/+$/, "");
  let done = 0;
  for (const file of files) {
    if (options.limit && buf.n >= options.limit) break;
    const rel = file === base ? file.split("/").pop()! : file.slice(base.length + 1);
    try {
      const mat = parseMpiiGazeMat(await Deno.readFile(file), file);
      const counts = { file: rel, left: 0, right: 0 };
      for (const eye of ["left", "right"] as const) {
        const arr = mat[eye];
        const size = arr.height * arr.width;
        for (let i = 0; i < arr.n; i++) {
          if (options.limit && buf.n >= options.limit) break;
          try {
            const g = arr.gaze.subarray(i * 3, i * 3 + 3);
            let gaze: PitchYaw;
            try {
              gaze = fromMpiiGazeVector(g[0], g[1], g[2]);
            } catch (e) {
              throw new BadInputError(
                file,
                `data.${eye}.gaze row ${i + 1}: ${(e as Error).message}`,
              );
            }
            const p = arr.pose.subarray(i * 3, i * 3 + 3);
            if (![...p].every(Number.isFinite)) {
              throw new BadInputError(file, `data.${eye}.pose row ${i + 1} is not finite`);
            }
            let head = rodriguesToHeadPose(p[0], p[1], p[2]);
            let img = {
              width: arr.width,
              height: arr.height,
              channels: 1 as const,
              data: arr.image.subarray(i * size, (i + 1) * size),
            };
            if (eye === "right") {
              img = flipHorizontal(img) as typeof img;
              gaze = { pitch: gaze.pitch, yaw: -gaze.yaw };
              head = { pitch: head.pitch, yaw: -head.yaw, roll: -head.roll };
            }
            const out = prepareImage(img, {
              height,
              width,
              channels,
              equalize: options.equalize,
            });
            buf.add(out, `${rel}#${eye}/${i + 1}`, {
              gaze: [gaze.pitch, gaze.yaw],
              headPose: [head.pitch, head.yaw, head.roll],
            });
            counts[eye]++;
          } catch (e) {
            skips.bad(e);
          }
        }
      }
      perFile.push(counts);
    } catch (e) {
      skips.bad(e);
    }
    options.onProgress?.(++done, files.length);
  }
  if (buf.n === 0) {
    throw new ImportError(
      `${path}: no usable MPIIGaze samples (${skips.count} bad; first: ${skips.first[0]})`,
    );
  }
  return buf.finish("real", {
    format: "mpiigaze",
    source: path,
    labelled: true,
    gaze: "pitch, yaw radians; project convention (lib/data/gaze.ts): pitch = asin(-y), " +
      "yaw = atan2(-x, -z) of data.*.gaze",
    headPose: "pitch, yaw, roll radians from the Rodrigues pose R: v = R e_z, pitch = " +
      "asin(v_y), yaw = atan2(v_x, v_z), roll = rotation left about v (positive clockwise " +
      "in the image)",
    rightEyes: "mirrored left-right, gaze and head yaw negated",
    order: "per file: left eyes, then right eyes",
    files: perFile,
    channels,
    equalized: options.equalize ?? false,
    skipped: skips.report(),
  });
}
