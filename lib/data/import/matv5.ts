/**
 * A reader for MATLAB MAT-files, version 5 (the format of `save -v6` / `save -v7` and of
 * `scipy.io.savemat`), written from the published format description ("MAT-File Format",
 * MathWorks). Supported: little- and big-endian files, `miCOMPRESSED` (zlib) elements, the
 * small data element format, numeric arrays of every class (double, single, int8..int64,
 * uint8..uint64, logical; stored in any numeric storage type), complex parts, char arrays,
 * structs (with nested structs), cell arrays and objects (read as structs with a class name).
 * Sparse arrays, function handles and opaque (MCOS) objects are returned as
 * `{kind: "unsupported"}` so that the rest of the file stays readable.
 *
 * MATLAB stores arrays column-major; every array returned here is converted to row-major
 * (C order), so an `N x 36 x 60` MATLAB array reads as `data[(n * 36 + y) * 60 + x]`, and
 * struct/cell elements are listed in row-major order too.
 *
 * MAT v7.3 files are HDF5 files; they are recognised and rejected with a message saying how to
 * convert them. MAT v4 files are rejected too.
 *
 * @module
 */
import { inflateSync } from "node:zlib";

/** Thrown for files that are not readable MAT v5 files; `message` names the file. */
export class MatFileError extends Error {
  constructor(public readonly file: string, public readonly problem: string) {
    super(`${file}: ${problem}`);
    this.name = "MatFileError";
  }
}

/** What to do with a MAT v7.3 (HDF5) file; part of the error message. */
export const MAT73_ADVICE =
  "MAT v7.3 files are HDF5 containers and are not supported; re-save the file as MAT v7 " +
  "(in MATLAB: `d = load(f); save(f2, '-struct', 'd', '-v7')`, or in Python: " +
  "`scipy.io.savemat(f2, mat73.loadmat(f))` / h5py + savemat), or export the images as " +
  "PNG files and import them with --format images";

/** Numeric MATLAB classes. */
export type MatNumericClass =
  | "double"
  | "single"
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64";

/** The typed array that holds each numeric class. */
export type MatNumericData =
  | Float64Array
  | Float32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

interface MatBase {
  /** Variable name (top level) or "" for struct fields and cell elements. */
  name: string;
  /** MATLAB dimensions (at least 2). */
  dims: number[];
}

/** A numeric or logical array; `data` is row-major, of the class's typed array. */
export interface MatNumeric extends MatBase {
  kind: "numeric";
  class: MatNumericClass;
  data: MatNumericData;
  /** Imaginary part of complex arrays. */
  imag?: MatNumericData;
  /** True for MATLAB `logical` arrays (class uint8). */
  logical: boolean;
}

/** A char array; `codes` are UTF-16 code units, row-major. */
export interface MatChar extends MatBase {
  kind: "char";
  codes: Uint16Array;
}

/** A struct array (or object); `elements` in row-major order, one record per element. */
export interface MatStruct extends MatBase {
  kind: "struct";
  fieldNames: string[];
  elements: Record<string, MatValue>[];
  /** Set for MATLAB objects (mxOBJECT_CLASS). */
  className?: string;
}

/** A cell array; `elements` in row-major order. */
export interface MatCell extends MatBase {
  kind: "cell";
  elements: MatValue[];
}

/** A value this reader skips (sparse, function handle, opaque object). */
export interface MatUnsupported extends MatBase {
  kind: "unsupported";
  what: string;
}

/** Any value in a MAT file. */
export type MatValue = MatNumeric | MatChar | MatStruct | MatCell | MatUnsupported;

/** A parsed MAT v5 file. */
export interface MatFile {
  /** The 116-byte descriptive text of the header, trimmed. */
  header: string;
  littleEndian: boolean;
  /** Top-level variables in file order. */
  variables: Map<string, MatValue>;
}

// Data types (miXXX).
const miINT8 = 1, miUINT8 = 2, miINT16 = 3, miUINT16 = 4, miINT32 = 5, miUINT32 = 6;
const miSINGLE = 7, miDOUBLE = 9, miINT64 = 12, miUINT64 = 13, miMATRIX = 14;
const miCOMPRESSED = 15, miUTF8 = 16, miUTF16 = 17, miUTF32 = 18;

const TYPE_NAMES: Record<number, string> = {
  1: "miINT8",
  2: "miUINT8",
  3: "miINT16",
  4: "miUINT16",
  5: "miINT32",
  6: "miUINT32",
  7: "miSINGLE",
  9: "miDOUBLE",
  12: "miINT64",
  13: "miUINT64",
  14: "miMATRIX",
  15: "miCOMPRESSED",
  16: "miUTF8",
  17: "miUTF16",
  18: "miUTF32",
};

function typeName(t: number): string {
  return TYPE_NAMES[t] ?? `unknown type ${t}`;
}

const TYPE_SIZE: Record<number, number> = {
  [miINT8]: 1,
  [miUINT8]: 1,
  [miINT16]: 2,
  [miUINT16]: 2,
  [miINT32]: 4,
  [miUINT32]: 4,
  [miSINGLE]: 4,
  [miDOUBLE]: 8,
  [miINT64]: 8,
  [miUINT64]: 8,
  [miUTF8]: 1,
  [miUTF16]: 2,
  [miUTF32]: 4,
};

// Array classes (mxXXX_CLASS).
const CLASS_NAMES: Record<number, string> = {
  1: "cell",
  2: "struct",
  3: "object",
  4: "char",
  5: "sparse",
  6: "double",
  7: "single",
  8: "int8",
  9: "uint8",
  10: "int16",
  11: "uint16",
  12: "int32",
  13: "uint32",
  14: "int64",
  15: "uint64",
  16: "function handle",
  17: "opaque object",
};

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function hasHdf5Signature(bytes: Uint8Array, at: number): boolean {
  if (bytes.length < at + 8) return false;
  return HDF5_SIGNATURE.every((b, i) => bytes[at + i] === b);
}

/** True when `bytes` look like a MAT v7.3 (HDF5) file. */
export function isMat73(bytes: Uint8Array): boolean {
  const text = new TextDecoder("latin1").decode(bytes.subarray(0, Math.min(116, bytes.length)));
  return /^MATLAB 7\.3 MAT-file/.test(text) || hasHdf5Signature(bytes, 512) ||
    hasHdf5Signature(bytes, 0);
}

class Reader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly le: boolean,
    readonly file: string,
    /** Where these bytes sit in the file, for messages ("" for the file itself). */
    readonly where: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(problem: string, offset?: number): never {
    const at = offset === undefined ? "" : ` at byte ${offset}${this.where}`;
    throw new MatFileError(this.file, `${problem}${at}`);
  }

  u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }
}

interface Element {
  type: number;
  /** Start and length of the element's data. */
  start: number;
  size: number;
  /** Offset of the next element. */
  next: number;
  /** Offset of the tag, for messages. */
  at: number;
}

function readTag(r: Reader, pos: number, end: number): Element {
  if (pos + 8 > end) {
    r.fail(`truncated file: data element tag needs 8 bytes, only ${end - pos} left`, pos);
  }
  const w0 = r.u32(pos);
  if (w0 >>> 16 !== 0) {
    // Small data element: type in the low 16 bits, size in the high 16, data in bytes 4..7.
    const size = w0 >>> 16;
    if (size > 4) r.fail(`corrupt small data element (size ${size} > 4)`, pos);
    return { type: w0 & 0xffff, start: pos + 4, size, next: pos + 8, at: pos };
  }
  const size = r.u32(pos + 4);
  const start = pos + 8;
  if (start + size > end) {
    r.fail(
      `truncated file: ${typeName(w0)} element needs ${size} bytes, only ${end - start} left`,
      pos,
    );
  }
  const padded = w0 === miCOMPRESSED ? size : Math.ceil(size / 8) * 8;
  return { type: w0, start, size, next: Math.min(start + padded, end), at: pos };
}

function expectType(r: Reader, e: Element, types: number[], what: string): void {
  if (!types.includes(e.type)) {
    r.fail(
      `corrupt array: ${what} has data type ${typeName(e.type)}, expected ` +
        types.map(typeName).join(" or "),
      e.at,
    );
  }
}

/** Reads `count` values of storage type `type` at `start` into a plain number/bigint array. */
function readValues(r: Reader, type: number, start: number, size: number): ArrayLike<number> {
  const width = TYPE_SIZE[type];
  if (!width) r.fail(`unsupported numeric storage type ${type}`, start);
  if (size % width !== 0) r.fail(`data size ${size} is not a multiple of ${width}`, start);
  const n = size / width;
  const buf = r.bytes.buffer.slice(r.bytes.byteOffset + start, r.bytes.byteOffset + start + size);
  const nativeLe = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (width === 1 || r.le === nativeLe) {
    switch (type) {
      case miINT8:
        return new Int8Array(buf);
      case miUINT8:
      case miUTF8:
        return new Uint8Array(buf);
      case miINT16:
        return new Int16Array(buf);
      case miUINT16:
      case miUTF16:
        return new Uint16Array(buf);
      case miINT32:
        return new Int32Array(buf);
      case miUINT32:
      case miUTF32:
        return new Uint32Array(buf);
      case miSINGLE:
        return new Float32Array(buf);
      case miDOUBLE:
        return new Float64Array(buf);
      case miINT64:
        return Float64Array.from(new BigInt64Array(buf), Number);
      case miUINT64:
        return Float64Array.from(new BigUint64Array(buf), Number);
    }
  }
  const v = new DataView(buf);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * width;
    switch (type) {
      case miINT16:
        out[i] = v.getInt16(o, r.le);
        break;
      case miUINT16:
      case miUTF16:
        out[i] = v.getUint16(o, r.le);
        break;
      case miINT32:
        out[i] = v.getInt32(o, r.le);
        break;
      case miUINT32:
      case miUTF32:
        out[i] = v.getUint32(o, r.le);
        break;
      case miSINGLE:
        out[i] = v.getFloat32(o, r.le);
        break;
      case miDOUBLE:
        out[i] = v.getFloat64(o, r.le);
        break;
      case miINT64:
        out[i] = Number(v.getBigInt64(o, r.le));
        break;
      case miUINT64:
        out[i] = Number(v.getBigUint64(o, r.le));
        break;
    }
  }
  return out;
}

/** Reads 64-bit integers exactly (for int64/uint64 classes stored as such). */
function readBigValues(r: Reader, e: Element, signed: boolean): BigInt64Array | BigUint64Array {
  // The bit pattern is read as the class's signedness (int64 data stored as uint64 or back).
  const n = e.size / 8;
  const out = signed ? new BigInt64Array(n) : new BigUint64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = signed
      ? r.view.getBigInt64(e.start + i * 8, r.le)
      : r.view.getBigUint64(e.start + i * 8, r.le);
  }
  return out;
}

function allocate(cls: MatNumericClass, n: number): MatNumericData {
  switch (cls) {
    case "double":
      return new Float64Array(n);
    case "single":
      return new Float32Array(n);
    case "int8":
      return new Int8Array(n);
    case "uint8":
      return new Uint8Array(n);
    case "int16":
      return new Int16Array(n);
    case "uint16":
      return new Uint16Array(n);
    case "int32":
      return new Int32Array(n);
    case "uint32":
      return new Uint32Array(n);
    case "int64":
      return new BigInt64Array(n);
    case "uint64":
      return new BigUint64Array(n);
  }
}

/**
 * For an array with MATLAB dimensions `dims`, the column-major offset of each row-major
 * position: `rowMajor[i] = colMajor[order[i]]`.
 */
export function columnToRowOrder(dims: readonly number[]): Int32Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const order = new Int32Array(n);
  const k = dims.length;
  if (k === 0 || n === 0) return order;
  const colStride = new Array<number>(k);
  colStride[0] = 1;
  for (let i = 1; i < k; i++) colStride[i] = colStride[i - 1] * dims[i - 1];
  const idx = new Array<number>(k).fill(0);
  const last = k - 1;
  const lastDim = dims[last];
  const lastStride = colStride[last];
  let p = 0;
  let base = 0; // column-major offset of idx with idx[last] = 0
  while (p < n) {
    for (let j = 0; j < lastDim; j++) order[p++] = base + j * lastStride;
    // Increment the multi-index over dims 0..last-1 (row-major: last-1 fastest).
    let d = last - 1;
    while (d >= 0) {
      idx[d]++;
      base += colStride[d];
      if (idx[d] < dims[d]) break;
      base -= colStride[d] * dims[d];
      idx[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
  return order;
}

/** Converts a column-major array with MATLAB `dims` to row-major (returns a new array). */
export function columnToRowMajor<T extends MatNumericData | Uint16Array>(
  data: T,
  dims: readonly number[],
): T {
  const nonSingleton = dims.filter((d) => d !== 1).length;
  if (nonSingleton <= 1) return data.slice() as T;
  const order = columnToRowOrder(dims);
  const out = new (data.constructor as { new (n: number): T })(data.length);
  for (let i = 0; i < order.length; i++) (out as Uint8Array)[i] = (data as Uint8Array)[order[i]];
  return out;
}

function toClassArray(
  r: Reader,
  e: Element,
  cls: MatNumericClass,
  count: number,
  what: string,
): MatNumericData {
  const width = TYPE_SIZE[e.type];
  if (!width || e.type === miUTF8 || e.type === miUTF16 || e.type === miUTF32) {
    r.fail(`corrupt array: ${what} has non-numeric storage type ${e.type}`, e.at);
  }
  if (e.size !== count * width) {
    r.fail(
      `corrupt array: ${what} holds ${e.size / width} values, its dimensions say ${count}`,
      e.at,
    );
  }
  if ((cls === "int64" || cls === "uint64") && (e.type === miINT64 || e.type === miUINT64)) {
    const big = readBigValues(r, e, cls === "int64");
    return big;
  }
  const values = readValues(r, e.type, e.start, e.size);
  const out = allocate(cls, count);
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    for (let i = 0; i < count; i++) out[i] = BigInt(Math.trunc(values[i]));
  } else if (values.constructor === out.constructor) {
    return values as MatNumericData;
  } else {
    (out as Float64Array).set(values);
  }
  return out;
}

function parseMatrix(r: Reader, start: number, size: number, at: number): MatValue {
  const end = start + size;
  if (size === 0) {
    // An empty array (MATLAB writes [] in structs and cells this way).
    return {
      kind: "numeric",
      name: "",
      dims: [0, 0],
      class: "double",
      data: new Float64Array(0),
      logical: false,
    };
  }
  const flagsEl = readTag(r, start, end);
  expectType(r, flagsEl, [miUINT32], "array flags");
  if (flagsEl.size < 8) r.fail("corrupt array: array flags shorter than 8 bytes", at);
  const flags = r.u32(flagsEl.start);
  const classId = flags & 0xff;
  const complex = (flags & 0x0800) !== 0;
  const logical = (flags & 0x0200) !== 0;
  const className = CLASS_NAMES[classId];
  if (!className) r.fail(`corrupt array: unknown array class ${classId}`, at);

  const dimsEl = readTag(r, flagsEl.next, end);
  if (classId === 17) {
    // Opaque objects have no dimensions element; skip the whole thing.
    return { kind: "unsupported", name: "", dims: [1, 1], what: className };
  }
  expectType(r, dimsEl, [miINT32], "dimensions");
  const dimValues = readValues(r, miINT32, dimsEl.start, dimsEl.size);
  const dims = Array.from(dimValues);
  if (dims.length < 2 || dims.some((d) => d < 0)) {
    r.fail(`corrupt array: bad dimensions [${dims.join(", ")}]`, dimsEl.at);
  }
  const count = dims.reduce((a, b) => a * b, 1);

  const nameEl = readTag(r, dimsEl.next, end);
  expectType(r, nameEl, [miINT8, miUINT8, miUTF8], "array name");
  const name = new TextDecoder().decode(r.bytes.subarray(nameEl.start, nameEl.start + nameEl.size));
  let pos = nameEl.next;

  switch (className) {
    case "double":
    case "single":
    case "int8":
    case "uint8":
    case "int16":
    case "uint16":
    case "int32":
    case "uint32":
    case "int64":
    case "uint64": {
      const cls = className as MatNumericClass;
      const realEl = readTag(r, pos, end);
      const real = toClassArray(r, realEl, cls, count, `real part of '${name || "<field>"}'`);
      const out: MatNumeric = {
        kind: "numeric",
        name,
        dims,
        class: cls,
        data: columnToRowMajor(real, dims),
        logical,
      };
      if (complex) {
        const imEl = readTag(r, realEl.next, end);
        const imag = toClassArray(r, imEl, cls, count, `imaginary part of '${name}'`);
        out.imag = columnToRowMajor(imag, dims);
      }
      return out;
    }
    case "char": {
      const el = readTag(r, pos, end);
      let codes: Uint16Array;
      if (el.type === miUTF8) {
        const text = new TextDecoder().decode(r.bytes.subarray(el.start, el.start + el.size));
        codes = Uint16Array.from(text, (ch) => ch.charCodeAt(0));
      } else {
        codes = Uint16Array.from(readValues(r, el.type, el.start, el.size));
      }
      if (codes.length !== count) {
        r.fail(`corrupt char array '${name}': ${codes.length} characters for ${count}`, el.at);
      }
      return { kind: "char", name, dims, codes: columnToRowMajor(codes, dims) };
    }
    case "struct":
    case "object": {
      let objectClass: string | undefined;
      if (className === "object") {
        const cnEl = readTag(r, pos, end);
        objectClass = new TextDecoder().decode(
          r.bytes.subarray(cnEl.start, cnEl.start + cnEl.size),
        );
        pos = cnEl.next;
      }
      const lenEl = readTag(r, pos, end);
      expectType(r, lenEl, [miINT32], "field name length");
      const nameLen = r.view.getInt32(lenEl.start, r.le);
      const namesEl = readTag(r, lenEl.next, end);
      expectType(r, namesEl, [miINT8, miUINT8], "field names");
      if (nameLen <= 0 || namesEl.size % nameLen !== 0) {
        r.fail(`corrupt struct '${name}': field names of ${namesEl.size} bytes`, namesEl.at);
      }
      const fieldNames: string[] = [];
      for (let o = 0; o < namesEl.size; o += nameLen) {
        const raw = r.bytes.subarray(namesEl.start + o, namesEl.start + o + nameLen);
        const zero = raw.indexOf(0);
        fieldNames.push(new TextDecoder().decode(zero < 0 ? raw : raw.subarray(0, zero)));
      }
      pos = namesEl.next;
      const colElements: Record<string, MatValue>[] = [];
      for (let i = 0; i < count; i++) {
        const rec: Record<string, MatValue> = {};
        for (const f of fieldNames) {
          const el = readTag(r, pos, end);
          expectType(r, el, [miMATRIX], `field '${f}' of struct '${name}'`);
          rec[f] = parseMatrix(r, el.start, el.size, el.at);
          pos = el.next;
        }
        colElements.push(rec);
      }
      const order = columnToRowOrder(dims);
      const elements = Array.from(order, (j) => colElements[j]);
      const out: MatStruct = { kind: "struct", name, dims, fieldNames, elements };
      if (objectClass !== undefined) out.className = objectClass;
      return out;
    }
    case "cell": {
      const col: MatValue[] = [];
      for (let i = 0; i < count; i++) {
        const el = readTag(r, pos, end);
        expectType(r, el, [miMATRIX], `element ${i} of cell '${name}'`);
        col.push(parseMatrix(r, el.start, el.size, el.at));
        pos = el.next;
      }
      const order = columnToRowOrder(dims);
      return { kind: "cell", name, dims, elements: Array.from(order, (j) => col[j]) };
    }
    default:
      return { kind: "unsupported", name, dims, what: className };
  }
}

function inflate(r: Reader, e: Element): Uint8Array {
  try {
    return new Uint8Array(inflateSync(r.bytes.subarray(e.start, e.start + e.size)));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return r.fail(`corrupt or truncated compressed element (zlib: ${why})`, e.at);
  }
}

/**
 * Parses a MAT v5 file held in memory.
 *
 * @param name used in error messages (the file path).
 * @param options `only`: names of the top-level variables to decode; others are skipped
 *   without decompressing them.
 * @throws {MatFileError} for truncated or corrupt files, MAT v7.3 (HDF5) files (with
 *   {@link MAT73_ADVICE}), MAT v4 files and files that are not MAT files at all.
 */
export function parseMat(
  bytes: Uint8Array,
  name = "<bytes>",
  options: { only?: string[] } = {},
): MatFile {
  if (isMat73(bytes)) {
    throw new MatFileError(name, `this is a MAT v7.3 (HDF5) file. ${MAT73_ADVICE}`);
  }
  if (bytes.length < 128) {
    throw new MatFileError(
      name,
      `truncated or not a MAT file: ${bytes.length} bytes, a MAT v5 header alone is 128`,
    );
  }
  const header = new TextDecoder("latin1").decode(bytes.subarray(0, 116)).replace(/[\0 ]+$/, "");
  const endian = String.fromCharCode(bytes[126], bytes[127]);
  if (endian !== "IM" && endian !== "MI") {
    const looksV5 = header.startsWith("MATLAB 5.0 MAT-file");
    throw new MatFileError(
      name,
      looksV5 ? "corrupt MAT v5 header (no endian indicator)" : "not a MAT v5 file (no " +
        "'MATLAB 5.0 MAT-file' header; MAT v4 and other formats are not supported)",
    );
  }
  const le = endian === "IM";
  const r = new Reader(bytes, le, name, "");
  const version = r.view.getUint16(124, le);
  if (version !== 0x0100) {
    throw new MatFileError(name, `unsupported MAT header version 0x${version.toString(16)}`);
  }
  const variables = new Map<string, MatValue>();
  let pos = 128;
  while (pos < bytes.length) {
    // Trailing zero padding after the last element is tolerated.
    if (bytes.length - pos < 8 && bytes.subarray(pos).every((b) => b === 0)) break;
    const el = readTag(r, pos, bytes.length);
    pos = el.next;
    let value: MatValue;
    if (el.type === miCOMPRESSED) {
      const inner = inflate(r, el);
      const ir = new Reader(inner, le, name, ` of the compressed element at byte ${el.at}`);
      const innerEl = readTag(ir, 0, inner.length);
      if (innerEl.type !== miMATRIX) {
        ir.fail(`compressed element holds ${typeName(innerEl.type)}, expected miMATRIX`, 0);
      }
      value = parseMatrixIfWanted(ir, innerEl, options.only);
    } else if (el.type === miMATRIX) {
      value = parseMatrixIfWanted(r, el, options.only);
    } else {
      value = r.fail(`top-level data element ${typeName(el.type)} is not a matrix`, el.at);
    }
    if (value.kind === "unsupported" && value.what === "skipped") continue;
    variables.set(value.name, value);
  }
  return { header, littleEndian: le, variables };
}

function parseMatrixIfWanted(r: Reader, el: Element, only?: string[]): MatValue {
  if (only) {
    // Read just the name (flags, dims, name are at the start) to decide.
    const end = el.start + el.size;
    if (el.size > 0) {
      const flags = readTag(r, el.start, end);
      const dims = readTag(r, flags.next, end);
      const nm = readTag(r, dims.next, end);
      const name = new TextDecoder().decode(r.bytes.subarray(nm.start, nm.start + nm.size));
      if (!only.includes(name)) return { kind: "unsupported", name, dims: [], what: "skipped" };
    }
  }
  return parseMatrix(r, el.start, el.size, el.at);
}

/** Reads and parses a MAT v5 file; errors name the path. */
export async function readMat(path: string, options: { only?: string[] } = {}): Promise<MatFile> {
  return parseMat(await Deno.readFile(path), path, options);
}

// ---------------------------------------------------------------------------------------------
// Helpers to navigate values
// ---------------------------------------------------------------------------------------------

/** The text of a char array: one string per row (a 1 x N array gives one string). */
export function matStrings(value: MatChar): string[] {
  const dims = value.dims;
  if (value.codes.length === 0) return [];
  const cols = dims.length === 2 ? dims[1] : dims.slice(1).reduce((a, b) => a * b, 1);
  const rows: string[] = [];
  for (let i = 0; i < dims[0]; i++) {
    rows.push(String.fromCharCode(...value.codes.subarray(i * cols, (i + 1) * cols)));
  }
  return rows;
}

/** A human description of a value's type and shape, e.g. `uint8 [3 x 36 x 60]`. */
export function describeMat(value: MatValue): string {
  const shape = `[${value.dims.join(" x ")}]`;
  switch (value.kind) {
    case "numeric":
      return `${value.logical ? "logical" : value.class} ${shape}`;
    case "char":
      return `char ${shape}`;
    case "struct":
      return `struct ${shape} with fields ${value.fieldNames.join(", ")}`;
    case "cell":
      return `cell ${shape}`;
    case "unsupported":
      return `${value.what} ${shape}`;
  }
}

/** Numeric data as float64 (int64 classes converted with `Number`). */
export function matToFloat64(value: MatNumeric): Float64Array {
  const d = value.data;
  if (d instanceof Float64Array) return d;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    return Float64Array.from(d, Number);
  }
  return Float64Array.from(d);
}
