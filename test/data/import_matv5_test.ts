import assert from "node:assert/strict";
import {
  columnToRowMajor,
  columnToRowOrder,
  describeMat,
  isMat73,
  type MatCell,
  type MatChar,
  MatFileError,
  type MatNumeric,
  matStrings,
  type MatStruct,
  parseMat,
} from "../../lib/data/import/matv5.ts";
import {
  cell,
  makeMpiiEyes,
  mpiiGazeMat,
  num,
  str,
  struct,
  writeMat,
  type WValue,
} from "../fixtures/matv5_writer.ts";
import { mat73Bytes } from "../fixtures/bad_inputs.ts";

Deno.test("columnToRowMajor: 2 x 3 and 2 x 3 x 2 by hand", () => {
  // MATLAB [1 2 3; 4 5 6] is stored column-major as 1 4 2 5 3 6.
  assert.deepEqual([...columnToRowMajor(Float64Array.from([1, 4, 2, 5, 3, 6]), [2, 3])], [
    1,
    2,
    3,
    4,
    5,
    6,
  ]);
  // A(i,j,k) = 100 i + 10 j + k (1-based), stored with i fastest.
  const dims = [2, 3, 2];
  const col: number[] = [];
  for (let k = 1; k <= 2; k++) {
    for (let j = 1; j <= 3; j++) for (let i = 1; i <= 2; i++) col.push(100 * i + 10 * j + k);
  }
  const row = columnToRowMajor(Int16Array.from(col), dims);
  const expected: number[] = [];
  for (let i = 1; i <= 2; i++) {
    for (let j = 1; j <= 3; j++) for (let k = 1; k <= 2; k++) expected.push(100 * i + 10 * j + k);
  }
  assert.deepEqual([...row], expected);
  assert.deepEqual([...columnToRowOrder([1, 4])], [0, 1, 2, 3]);
});

function roundTrip(vars: Record<string, WValue>, compress: boolean, bigEndian = false) {
  return parseMat(writeMat(vars, { compress, bigEndian }), "t.mat").variables;
}

for (const [compress, bigEndian] of [[true, false], [false, false], [false, true]]) {
  Deno.test(`parseMat: every class, compress=${compress} bigEndian=${bigEndian}`, () => {
    const v = roundTrip(
      {
        d: num("double", [2, 3], [1, 2, 3, 4, 5, 6.5]),
        d8: num("double", [1, 3], [7, 8, 9], 2), // doubles stored as miUINT8, like MATLAB does
        s: num("single", [1, 2], [0.5, -1.5]),
        i8: num("int8", [1, 2], [-128, 127]),
        u16: num("uint16", [1, 1], [65535]),
        i32: num("int32", [2, 1], [-5, 6]),
        u32: num("uint32", [1, 1], [4000000000]),
        i64: num("int64", [1, 2], [-3, 2 ** 40]),
        img: num("uint8", [2, 3, 4], Array.from({ length: 24 }, (_, i) => i * 10)),
        txt: str("hello"),
        chm: str("ab", "cd"),
        c: cell([1, 2], [num("double", [1, 1], [42]), str("x")]),
        nest: struct({ inner: struct({ deep: num("int16", [1, 3], [1, -2, 3]) }) }),
        sarr: {
          kind: "struct",
          dims: [2, 2],
          fieldNames: ["k"],
          elements: [0, 1, 2, 3].map((k) => ({ k: num("double", [1, 1], [k]) })),
        },
        empty: num("double", [0, 3], []),
      },
      compress,
      bigEndian,
    );
    const n = (k: string) => v.get(k) as MatNumeric;
    assert.deepEqual([...n("d").data], [1, 2, 3, 4, 5, 6.5]);
    assert.ok(n("d").data instanceof Float64Array);
    assert.deepEqual(n("d").dims, [2, 3]);
    assert.deepEqual([...n("d8").data], [7, 8, 9]);
    assert.ok(n("d8").data instanceof Float64Array);
    assert.deepEqual([...n("s").data], [0.5, -1.5]);
    assert.ok(n("s").data instanceof Float32Array);
    assert.deepEqual([...n("i8").data], [-128, 127]);
    assert.deepEqual([...n("u16").data], [65535]);
    assert.deepEqual([...n("i32").data], [-5, 6]);
    assert.deepEqual([...n("u32").data], [4000000000]);
    assert.deepEqual([...n("i64").data], [-3n, 2n ** 40n]);
    assert.deepEqual([...n("img").data], Array.from({ length: 24 }, (_, i) => i * 10));
    assert.deepEqual(n("img").dims, [2, 3, 4]);
    assert.deepEqual(matStrings(v.get("txt") as MatChar), ["hello"]);
    assert.deepEqual(matStrings(v.get("chm") as MatChar), ["ab", "cd"]);
    const c = v.get("c") as MatCell;
    assert.equal(c.elements.length, 2);
    assert.deepEqual([...(c.elements[0] as MatNumeric).data], [42]);
    assert.deepEqual(matStrings(c.elements[1] as MatChar), ["x"]);
    const nest = v.get("nest") as MatStruct;
    const inner = nest.elements[0].inner as MatStruct;
    assert.deepEqual([...(inner.elements[0].deep as MatNumeric).data], [1, -2, 3]);
    const sarr = v.get("sarr") as MatStruct;
    assert.deepEqual(sarr.elements.map((e) => (e.k as MatNumeric).data[0]), [0, 1, 2, 3]);
    assert.deepEqual(n("empty").dims, [0, 3]);
    assert.equal(n("empty").data.length, 0);
    assert.equal(describeMat(n("img")), "uint8 [2 x 3 x 4]");
  });
}

Deno.test("parseMat: the MPIIGaze Normalized layout, and `only` skips other variables", () => {
  const left = makeMpiiEyes(4, 1), right = makeMpiiEyes(3, 2);
  for (const compress of [true, false]) {
    const mat = parseMat(mpiiGazeMat(left, right, { compress }), "day01.mat");
    assert.deepEqual([...mat.variables.keys()], ["data", "filenames"]);
    const data = mat.variables.get("data") as MatStruct;
    assert.deepEqual(data.fieldNames, ["left", "right"]);
    const l = (data.elements[0].left as MatStruct).elements[0];
    assert.deepEqual((l.image as MatNumeric).dims, [4, 36, 60]);
    assert.deepEqual([...(l.image as MatNumeric).data], [...left.image]);
    assert.deepEqual([...(l.gaze as MatNumeric).data], [...left.gaze]);
    assert.deepEqual([...(l.pose as MatNumeric).data], [...left.pose]);
    const names = mat.variables.get("filenames") as MatCell;
    assert.deepEqual(matStrings(names.elements[1] as MatChar), ["day01/0001.jpg"]);
    const only = parseMat(mpiiGazeMat(left, right, { compress }), "x", { only: ["data"] });
    assert.deepEqual([...only.variables.keys()], ["data"]);
  }
});

Deno.test("parseMat: truncated, corrupt, v7.3, v4 and non-MAT files give clear errors", () => {
  const file = mpiiGazeMat(makeMpiiEyes(2, 1), makeMpiiEyes(2, 2), { compress: false });
  const zfile = mpiiGazeMat(makeMpiiEyes(2, 1), makeMpiiEyes(2, 2), { compress: true });
  const fails = (bytes: Uint8Array, re: RegExp) =>
    assert.throws(() => parseMat(bytes, "/x/day01.mat"), (e: unknown) => {
      assert.ok(e instanceof MatFileError, String(e));
      assert.match(e.message, /^\/x\/day01\.mat: /);
      assert.match(e.message, re);
      return true;
    });
  fails(file.subarray(0, 1000), /truncated/);
  fails(zfile.subarray(0, 1000), /truncated/);
  fails(file.subarray(0, 60), /truncated or not a MAT file/);
  // A compressed element whose zlib stream is damaged.
  const bad = zfile.slice();
  for (let i = 200; i < 260; i++) bad[i] ^= 0x5a;
  fails(bad, /corrupt|truncated/);
  fails(mat73Bytes(), /MAT v7\.3 \(HDF5\).*-v7.*--format images/);
  assert.ok(isMat73(mat73Bytes()));
  assert.ok(!isMat73(file));
  const png = new Uint8Array(200);
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  fails(png, /not a MAT v5 file/);
});
