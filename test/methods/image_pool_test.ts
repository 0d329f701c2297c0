/** SimGAN's history buffer and CycleGAN's image pool: composition, fill, replacement, seeds, state. */
import assert from "node:assert/strict";
import { HistoryBuffer, ImagePool, simganComposition } from "../../lib/methods/image_pool.ts";

const shape = { height: 2, width: 3, channels: 1 };
const SIZE = 6;

/** `n` images where image k is filled with the value `first + k`. */
function images(n: number, first: number): Float32Array {
  const out = new Float32Array(n * SIZE);
  for (let k = 0; k < n; k++) out.fill(first + k, k * SIZE, (k + 1) * SIZE);
  return out;
}

/** The fill value of every image of an array (checking each image is constant). */
function ids(data: Float32Array): number[] {
  const out: number[] = [];
  for (let k = 0; k < data.length / SIZE; k++) {
    const img = data.subarray(k * SIZE, (k + 1) * SIZE);
    assert.ok(img.every((v) => v === img[0]), "images are copied whole");
    out.push(img[0]);
  }
  return out;
}

function contents(pool: HistoryBuffer | ImagePool): number[] {
  return Array.from({ length: pool.size }, (_, i) => pool.get(i)[0]);
}

Deno.test("simganComposition: half real, a quarter current, a quarter history", () => {
  assert.deepEqual(simganComposition(32), { real: 16, current: 8, history: 8 });
  assert.deepEqual(simganComposition(4), { real: 2, current: 1, history: 1 });
  for (const bad of [0, 2, 6, 30, 4.5]) {
    assert.throws(() => simganComposition(bad), /multiple of 4/);
  }
});

Deno.test("HistoryBuffer: fill phase appends in order until full", () => {
  const h = new HistoryBuffer({ capacity: 10, shape, seed: 1 });
  assert.equal(h.size, 0);
  assert.throws(() => h.sample(1), /empty/);
  assert.equal(h.sample(0).length, 0);
  h.add(images(4, 0));
  h.add(images(4, 4));
  assert.deepEqual(contents(h), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(h.full, false);
  // 2 more fill it; the last 2 of this batch replace random entries
  h.add(images(4, 8));
  assert.equal(h.size, 10);
  assert.ok(h.full);
  const c = contents(h);
  assert.deepEqual(c.filter((v) => v < 8).length, 6, "two of 0..7 replaced");
  assert.ok(c.includes(8) && c.includes(9));
  assert.equal(c.filter((v) => v >= 10).length, 2);
  assert.throws(() => h.add(new Float32Array(5)), /not N x 2x3x1/);
});

Deno.test("HistoryBuffer: once full, new images replace uniformly random entries", () => {
  const h = new HistoryBuffer({ capacity: 20, shape, seed: 2 });
  h.add(images(20, 0));
  const hits = new Array(20).fill(0);
  for (let t = 0; t < 400; t++) {
    h.add(images(5, 1000 + 5 * t));
    assert.equal(h.size, 20);
    contents(h).forEach((v, i) => {
      if (v === 1000 + 5 * t || v === 1000 + 5 * t + 4) hits[i]++;
    });
  }
  // 800 placements over 20 slots: every slot is hit, none far more than the mean of 40
  assert.ok(hits.every((n) => n > 10 && n < 80), `spread ${hits}`);
  // 5 new images go to 5 distinct slots
  h.add(images(5, 5000));
  assert.equal(contents(h).filter((v) => v >= 5000).length, 5);
});

Deno.test("HistoryBuffer: sample draws stored images, distinct while n <= size", () => {
  const h = new HistoryBuffer({ capacity: 50, shape, seed: 3 });
  h.add(images(30, 100));
  const s = ids(h.sample(30));
  assert.deepEqual([...s].sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => 100 + i));
  const more = ids(h.sample(40)); // with replacement
  assert.ok(more.every((v) => v >= 100 && v < 130));
  assert.notDeepEqual(ids(h.sample(10)), ids(h.sample(10)), "each call draws anew");
});

Deno.test("HistoryBuffer: same seed, same calls -> same contents and samples", () => {
  const run = (seed: number) => {
    const h = new HistoryBuffer({ capacity: 16, shape, seed });
    const drawn: number[] = [];
    for (let t = 0; t < 10; t++) {
      if (h.size > 0) drawn.push(...ids(h.sample(4)));
      h.add(images(4, 10 * t));
    }
    return { drawn, stored: contents(h) };
  };
  assert.deepEqual(run(5), run(5));
  assert.notDeepEqual(run(5), run(6));
});

Deno.test("HistoryBuffer: state round trip resumes the same stream", () => {
  const a = new HistoryBuffer({ capacity: 12, shape, seed: 9 });
  for (let t = 0; t < 5; t++) a.add(images(4, 10 * t));
  const saved = a.state();
  assert.equal(saved.arrays.images.length, 12 * SIZE);
  assert.equal(saved.json.kind, "simgan_history");
  const roundTrip = JSON.parse(JSON.stringify(saved.json));
  const b = new HistoryBuffer({ capacity: 12, shape, seed: 9 });
  b.restore({ arrays: { images: Float32Array.from(saved.arrays.images) }, json: roundTrip });
  assert.deepEqual(contents(b), contents(a));
  for (let t = 0; t < 3; t++) {
    assert.deepEqual(ids(b.sample(4)), ids(a.sample(4)));
    a.add(images(4, 100 + t));
    b.add(images(4, 100 + t));
  }
  assert.deepEqual(contents(b), contents(a));
  const other = new HistoryBuffer({ capacity: 8, shape, seed: 9 });
  assert.throws(() => other.restore(saved), /capacity 12, expected 8/);
  const pool = new ImagePool({ capacity: 12, shape, seed: 9 });
  assert.throws(() => pool.restore(saved), /kind/);
  // a partly filled buffer round-trips too
  const c = new HistoryBuffer({ capacity: 12, shape, seed: 9 });
  c.add(images(3, 0));
  const d = new HistoryBuffer({ capacity: 12, shape, seed: 9 });
  d.restore(c.state());
  assert.equal(d.size, 3);
  assert.deepEqual(contents(d), [0, 1, 2]);
});

Deno.test("ImagePool: stores and returns the first `capacity` images, then swaps with p = 1/2", () => {
  const pool = new ImagePool({ capacity: 50, shape, seed: 4 });
  const first = ids(pool.query(images(50, 0)));
  assert.deepEqual(first, Array.from({ length: 50 }, (_, i) => i), "fill phase returns inputs");
  assert.equal(pool.size, 50);
  let fromPool = 0;
  const n = 2000;
  for (let t = 0; t < n / 4; t++) {
    const out = ids(pool.query(images(4, 1000 + 4 * t)));
    out.forEach((v, k) => {
      if (v !== 1000 + 4 * t + k) fromPool++;
    });
  }
  const p = fromPool / n;
  assert.ok(p > 0.45 && p < 0.55, `returned a stored image ${p} of the time`);
  assert.equal(pool.size, 50);
  // passthrough when the capacity is 0
  const none = new ImagePool({ capacity: 0, shape, seed: 4 });
  assert.deepEqual(ids(none.query(images(3, 7))), [7, 8, 9]);
  assert.equal(none.size, 0);
});

Deno.test("ImagePool: a returned stored image is replaced by the new one; determinism; state", () => {
  const make = () => new ImagePool({ capacity: 4, shape, seed: 11 });
  const a = make();
  a.query(images(4, 0));
  const before = contents(a);
  const out = ids(a.query(images(1, 99)));
  const after = contents(a);
  if (out[0] === 99) assert.deepEqual(after, before);
  else {
    assert.ok(before.includes(out[0]));
    assert.ok(after.includes(99) && !after.includes(out[0]));
  }
  const b = make();
  b.query(images(4, 0));
  b.query(images(1, 99));
  assert.deepEqual(contents(b), after);
  const c = make();
  c.restore(b.state());
  for (let t = 0; t < 5; t++) {
    assert.deepEqual(ids(c.query(images(2, 200 + 2 * t))), ids(b.query(images(2, 200 + 2 * t))));
  }
  assert.deepEqual(contents(c), contents(b));
});
