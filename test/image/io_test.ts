import assert from "node:assert/strict";
import {
  decodeImage,
  encodeJpeg,
  encodePng,
  ImageDecodeError,
  type PixelImage,
} from "../../lib/image/io.ts";

const gray: PixelImage = {
  width: 4,
  height: 3,
  channels: 1,
  data: Uint8Array.from({ length: 12 }, (_, i) => i * 20),
};
const rgb: PixelImage = {
  width: 2,
  height: 2,
  channels: 3,
  data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]),
};

Deno.test("encodePng/decodeImage: gray and RGB round trips are exact", async () => {
  const g = await decodeImage(await encodePng(gray));
  assert.deepEqual([g.width, g.height, g.channels], [4, 3, 1]);
  assert.deepEqual(g.data, gray.data);
  const c = await decodeImage(await encodePng(rgb));
  assert.equal(c.channels, 3);
  assert.deepEqual(c.data, rgb.data);
  const asGray = await decodeImage(await encodePng(rgb), { channels: 1 });
  // BT.601 luma of pure red: 0.299 * 255
  assert.equal(asGray.data[0], Math.round(0.299 * 255));
});

Deno.test("encodePng: the same pixels give the same bytes (no timestamp)", async () => {
  const a = await encodePng(gray);
  await new Promise((r) => setTimeout(r, 1100));
  assert.deepEqual(await encodePng(gray), a);
});

Deno.test("encodeJpeg: decodes back to the right size", async () => {
  const j = await decodeImage(await encodeJpeg(gray, 95));
  assert.deepEqual([j.width, j.height], [4, 3]);
});

Deno.test("decodeImage: corrupt, truncated and wrong-size inputs name the file", async () => {
  await assert.rejects(decodeImage(new Uint8Array(3), { name: "tiny.png" }), ImageDecodeError);
  const png = await encodePng(gray);
  await assert.rejects(
    decodeImage(png.subarray(0, png.length / 2), { name: "cut.png" }),
    /cut\.png: not a readable image/,
  );
  await assert.rejects(
    decodeImage(new TextEncoder().encode("not an image at all"), { name: "x.jpg" }),
    /x\.jpg/,
  );
  await assert.rejects(
    encodePng({ ...gray, data: new Uint8Array(5) }),
    /expected 4x3x1/,
  );
});
