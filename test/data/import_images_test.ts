import assert from "node:assert/strict";
import { ImportError, importImageFolder, pixelStats } from "../../lib/data/import/mod.ts";
import { ImageDecodeError, readImage } from "../../lib/image/io.ts";
import { garbage, jpegBytes, pngBytes, truncated } from "../fixtures/bad_inputs.ts";

const MPII = new URL("../../../shared/data/mpiigaze-p00-unlabelled/images", import.meta.url)
  .pathname;

Deno.test("importImageFolder: the 3,000 real MPIIGaze patches", async () => {
  let last = 0;
  const ds = await importImageFolder(MPII, { onProgress: (done) => (last = done) });
  assert.equal(ds.n, 3000);
  assert.equal(last, 3000);
  assert.deepEqual([ds.height, ds.width, ds.channels], [36, 60, 1]);
  assert.equal(ds.images.length, 3000 * 36 * 60);
  assert.equal(ds.gaze, undefined);
  assert.equal(ds.meta.labelled, false);
  assert.equal(ds.files[0], "0000.png");
  assert.equal(ds.files[2999], "2999.png");
  // Native size, gray: the first and last patches are the files' pixels.
  const first = await readImage(`${MPII}/0000.png`, { channels: 1 });
  assert.deepEqual([...ds.images.subarray(0, 2160)], [...first.data]);
  const lastImg = await readImage(`${MPII}/2999.png`, { channels: 1 });
  assert.deepEqual([...ds.images.subarray(2999 * 2160)], [...lastImg.data]);
  // Real eye patches: mid-gray mean, wide spread.
  const s = pixelStats(ds.images);
  assert.ok(s.mean > 60 && s.mean < 200, `mean ${s.mean}`);
  assert.ok(s.std > 20, `std ${s.std}`);
  assert.ok(s.min < 30 && s.max > 220, `range ${s.min}..${s.max}`);
});

Deno.test("importImageFolder: --size resizes, --limit stops, --equalize equalises", async () => {
  const ds = await importImageFolder(MPII, { height: 35, width: 55, limit: 20, equalize: true });
  assert.equal(ds.n, 20);
  assert.deepEqual([ds.height, ds.width], [35, 55]);
  assert.equal(ds.images.length, 20 * 35 * 55);
  // Equalised: every image spans the full range.
  for (let i = 0; i < 20; i++) {
    const s = pixelStats(ds.images.subarray(i * 35 * 55, (i + 1) * 35 * 55));
    assert.equal(s.min, 0);
    assert.equal(s.max, 255);
  }
  const rgb = await importImageFolder(MPII, { channels: 3, limit: 2 });
  assert.equal(rgb.channels, 3);
  assert.equal(rgb.images[0], rgb.images[1]);
});

Deno.test("importImageFolder: mixed sizes, corrupt and truncated files; --skip-bad", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan_img_" });
  try {
    await Deno.writeFile(`${dir}/a.png`, await pngBytes(60, 36));
    await Deno.writeFile(`${dir}/b.jpg`, await jpegBytes(60, 36));
    await Deno.writeFile(`${dir}/c.png`, await pngBytes(30, 18));
    await Deno.writeFile(`${dir}/d.png`, garbage());
    await Deno.writeFile(`${dir}/e.jpeg`, truncated(await jpegBytes(60, 36)));
    await Deno.writeTextFile(`${dir}/notes.txt`, "ignored");
    // First bad file (natural order) fails the import, named.
    await assert.rejects(importImageFolder(dir), (e: unknown) => {
      assert.match(
        (e as Error).message,
        new RegExp(`^${dir}/c\\.png: is 30x18 .* a\\.png is 60x36`),
      );
      assert.match((e as Error).message, /--size/);
      return true;
    });
    const ds = await importImageFolder(dir, { skipBad: true });
    assert.equal(ds.n, 2);
    assert.deepEqual(ds.files, ["a.png", "b.jpg"]);
    const skipped = ds.meta.skipped as { count: number; first: string[] };
    assert.equal(skipped.count, 3);
    assert.match(skipped.first[0], /c\.png: is 30x18/);
    assert.match(skipped.first[1], /d\.png: not a readable image/);
    assert.match(skipped.first[2], /e\.jpeg: not a readable image/);
    // With --size, mixed sizes are fine; the corrupt files still are not.
    await Deno.remove(`${dir}/d.png`);
    await assert.rejects(importImageFolder(dir, { height: 36, width: 60 }), ImageDecodeError);
    await Deno.remove(`${dir}/e.jpeg`);
    const sized = await importImageFolder(dir, { height: 36, width: 60 });
    assert.equal(sized.n, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("importImageFolder: empty, image-less and missing folders; bad options", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan_imgempty_" });
  try {
    await assert.rejects(importImageFolder(dir), ImportError);
    await Deno.writeTextFile(`${dir}/x.txt`, "x");
    await assert.rejects(importImageFolder(dir), /no \.png, \.jpg or \.jpeg images/);
    await Deno.writeFile(`${dir}/bad.png`, garbage());
    await assert.rejects(importImageFolder(dir, { skipBad: true }), /no readable images \(1 bad/);
    await assert.rejects(importImageFolder(`${dir}/nope`), /no such directory/);
    await assert.rejects(importImageFolder(`${dir}/x.txt`), /not a directory/);
    await assert.rejects(importImageFolder(dir, { height: 10 }), /both height and width/);
    await assert.rejects(importImageFolder(dir, { limit: 0 }), /limit must be a positive/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
