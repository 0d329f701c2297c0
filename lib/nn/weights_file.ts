/**
 * Weights on disk in the safetensors layout, so that Python users can open them with
 * `safetensors.numpy.load_file` (or a few lines of numpy) and the toolkit can read them back.
 *
 * Layout: 8-byte little-endian header length `n`; `n` bytes of JSON
 * `{ "<name>": { "dtype": "F32", "shape": [...], "data_offsets": [begin, end] }, ...,
 *    "__metadata__": { "<key>": "<string>" } }`; then the raw little-endian float32 data,
 * offsets relative to the end of the header. Metadata values are strings (JSON-encode anything
 * else).
 *
 * Files are written atomically (`writeFileAtomic` of `lib/util/fs.ts`: a uniquely named
 * temporary file, flushed, then renamed over `path`), so an interrupted write never leaves a
 * truncated weights file where a good one was.
 *
 * @module
 */
import type { NamedWeights } from "./params.ts";
import { writeFileAtomic } from "../util/fs.ts";

/** Thrown for a file that is not a readable weights file; the message names file and problem. */
export class WeightsFileError extends Error {
  constructor(public readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = "WeightsFileError";
  }
}

/** Encodes weights and string metadata as safetensors bytes. */
export function encodeWeights(
  weights: NamedWeights,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = Object.keys(weights).sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const { shape, data } = weights[name];
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) {
      throw new RangeError(
        `encodeWeights: '${name}' has ${data.length} values for shape [${shape}]`,
      );
    }
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + data.length * 4] };
    offset += data.length * 4;
  }
  let json = JSON.stringify(header);
  // pad the header with spaces so the data starts 8-byte aligned
  while ((8 + json.length) % 8 !== 0) json += " ";
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = weights[name];
    for (let i = 0; i < data.length; i++, pos += 4) view.setFloat32(pos, data[i], true);
  }
  return out;
}

/** Decodes safetensors bytes (float32 tensors only). `name` is used in error messages. */
export function decodeWeights(
  bytes: Uint8Array,
  name = "<weights>",
): { weights: NamedWeights; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new WeightsFileError(name, "truncated (no header length)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n <= 0 || 8 + n > bytes.length) {
    throw new WeightsFileError(name, `header length ${n} does not fit a ${bytes.length}-byte file`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new WeightsFileError(name, `header is not JSON (${e instanceof Error ? e.message : e})`);
  }
  const dataStart = 8 + n;
  const weights: NamedWeights = {};
  let metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(header)) {
    if (key === "__metadata__") {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    if (e.dtype !== "F32" || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) {
      throw new WeightsFileError(
        name,
        `tensor '${key}' is not an F32 entry with shape and offsets`,
      );
    }
    const [begin, end] = e.data_offsets;
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * 4 || dataStart + end > bytes.length || begin < 0) {
      throw new WeightsFileError(
        name,
        `tensor '${key}' has inconsistent offsets (truncated file?)`,
      );
    }
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(dataStart + begin + 4 * i, true);
    weights[key] = { shape: e.shape, data };
  }
  return { weights, metadata };
}

/** Writes a weights file atomically (see `writeFileAtomic` in `lib/util/fs.ts`). */
export async function writeWeightsFile(
  path: string,
  weights: NamedWeights,
  metadata: Record<string, string> = {},
): Promise<void> {
  await writeFileAtomic(path, encodeWeights(weights, metadata));
}

/** Reads a weights file written by {@link writeWeightsFile}; errors name the file. */
export async function readWeightsFile(
  path: string,
): Promise<{ weights: NamedWeights; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new WeightsFileError(path, "not found");
    throw e;
  }
  return decodeWeights(bytes, path);
}
