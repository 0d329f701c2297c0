/**
 * The default data sets by image size (`lib/data/defaults.ts`, `lib/gaze/gap.ts`): the 36x60x1
 * names unchanged, the sized names, which sets the presets of `train-cyclegan`,
 * `train-gazegan` and `train-simgan` resolve to (`paper`: 128x128x3 for CycleGAN and GazeGAN),
 * explicit flags overriding them, and `ensureGapDataset` rendering at the spec's size and
 * re-rendering a set of another size. Nothing heavy: the resolution functions, and data sets of
 * a few tiny images in a temp folder.
 */
import assert from "node:assert/strict";
import { makeDataset } from "../../lib/data/dataset.ts";
import {
  dataSizeShape,
  DEFAULT_DATA,
  DEFAULT_DATA_BY_SIZE,
  DEFAULT_DATA_SIZES,
  DEFAULT_DATA_SPECS,
  DEFAULT_DATA_SPECS_BY_SIZE,
  defaultDataDirs,
  defaultDataRole,
  defaultDataSet,
  ensureDefaultData,
} from "../../lib/data/defaults.ts";
import { ensureGapDataset, gapDatasetDir } from "../../lib/gaze/gap.ts";
import { CYCLEGAN_CONFIG } from "../../lib/methods/cyclegan/task_config.ts";
import { GAZEGAN_CONFIG } from "../../lib/methods/gazegan/task_config.ts";
import { simganDataDirs } from "../../lib/methods/simgan/data.ts";
import { SIMGAN_CONFIG } from "../../lib/methods/simgan/task_config.ts";
import { parseRunArgs } from "../../lib/train/args.ts";
import { type ConfigSpec, resolveConfig } from "../../lib/train/config.ts";
import type { CycleDataSettings } from "../../lib/methods/cyclegan/task_config.ts";
import { SetupError } from "../../lib/util/cli.ts";

const OLD_NAMES = {
  synthetic: "data/generated/gap-synthetic-train-n10000-s0",
  syntheticTest: "data/generated/gap-synthetic-test-n1000-s0",
  targetTrain: "data/generated/gap-real-train-n10000-s0",
  targetTest: "data/generated/gap-real-test-n1000-s0",
  pairedTrain: "data/generated/gap-paired-train-n10000-s0",
  pairedTest: "data/generated/gap-paired-test-n1000-s0",
};

const SIZED = DEFAULT_DATA_BY_SIZE["128x128x3"];

/** The data sets a task's command line resolves to, as the task's precheck resolves them. */
function dirsOf<C extends CycleDataSettings>(spec: ConfigSpec<C>, argv: string[]) {
  const { flags, overrides } = parseRunArgs(argv, spec);
  return simganDataDirs(resolveConfig(spec, { preset: flags.preset, overrides }).values);
}

Deno.test("default data: the 36x60x1 names are the ones existing runs and caches refer to", () => {
  assert.deepEqual({ ...DEFAULT_DATA }, OLD_NAMES);
  assert.deepEqual({ ...DEFAULT_DATA_BY_SIZE["36x60x1"] }, OLD_NAMES);
  assert.deepEqual(defaultDataDirs(), OLD_NAMES);
  for (const spec of Object.values(DEFAULT_DATA_SPECS)) {
    assert.deepEqual([spec.height, spec.width, spec.channels], [36, 60, 1]);
  }
  // a spec without a size is 36x60x1, and has the same name
  const bare = { domain: "real", split: "test", n: 1000, seed: 0 } as const;
  assert.equal(gapDatasetDir("data/generated/", bare), OLD_NAMES.targetTest);
  assert.equal(
    gapDatasetDir("data/generated", DEFAULT_DATA_SPECS.targetTest),
    OLD_NAMES.targetTest,
  );
  assert.deepEqual(defaultDataSet(`./${OLD_NAMES.synthetic}/`), {
    role: "synthetic",
    size: "36x60x1",
    spec: DEFAULT_DATA_SPECS.synthetic,
  });
});

Deno.test("default data: sized sets get -HxWxC appended, same counts and seed", () => {
  assert.deepEqual([...DEFAULT_DATA_SIZES], ["36x60x1", "128x128x3"]);
  assert.deepEqual(dataSizeShape("128x128x3"), { height: 128, width: 128, channels: 3 });
  for (const [role, dir] of Object.entries(SIZED)) {
    assert.equal(dir, `${OLD_NAMES[role as keyof typeof OLD_NAMES]}-128x128x3`);
    const spec = DEFAULT_DATA_SPECS_BY_SIZE["128x128x3"][role as keyof typeof OLD_NAMES];
    const old = DEFAULT_DATA_SPECS[role as keyof typeof OLD_NAMES];
    assert.deepEqual(spec, { ...old, height: 128, width: 128, channels: 3 });
  }
  assert.equal(SIZED.synthetic, "data/generated/gap-synthetic-train-n10000-s0-128x128x3");
  assert.equal(
    defaultDataDirs("/x/", "128x128x3").targetTest,
    "/x/gap-real-test-n1000-s0-128x128x3",
  );
  assert.equal(
    gapDatasetDir("/x", { domain: "paired", split: "train", n: 5, seed: 2, height: 64, width: 64 }),
    "/x/gap-paired-train-n5-s2-64x64x1",
  );
  const set = defaultDataSet(`./${SIZED.targetTrain}/`);
  assert.equal(set?.role, "targetTrain");
  assert.equal(set?.size, "128x128x3");
  assert.equal(set?.spec.channels, 3);
  assert.equal(defaultDataRole(SIZED.syntheticTest), "syntheticTest");
  assert.equal(defaultDataSet("/y/gap-real-train-n10000-s0-128x128x3", "/y")?.size, "128x128x3");
  // neither another size nor another count is a default set
  assert.equal(defaultDataSet("data/generated/gap-real-train-n10000-s0-64x64x3"), undefined);
  assert.equal(defaultDataSet("data/generated/gap-real-train-n500-s0-128x128x3"), undefined);
});

Deno.test("default data: --preset paper of train-cyclegan and train-gazegan is on the 128x128x3 sets", () => {
  for (const spec of [CYCLEGAN_CONFIG, GAZEGAN_CONFIG] as ConfigSpec<CycleDataSettings>[]) {
    const paper = dirsOf(spec, ["--preset", "paper"]);
    assert.equal(paper.source, SIZED.synthetic, spec.name);
    assert.equal(paper.trainTarget, SIZED.targetTrain);
    assert.equal(paper.trainTargetIsReal, false);
    assert.deepEqual(paper.protocol, {
      synthetic: SIZED.synthetic,
      targetTrain: SIZED.targetTrain,
      targetTest: SIZED.targetTest,
      syntheticTest: SIZED.syntheticTest,
    });
    // the other presets stay on the 36x60x1 sets
    for (const preset of ["smoke", "quick"]) {
      const d = dirsOf(spec, ["--preset", preset]);
      assert.equal(d.source, DEFAULT_DATA.synthetic, `${spec.name} ${preset}`);
      assert.equal(d.protocol?.targetTest, DEFAULT_DATA.targetTest);
      assert.equal(d.protocol?.syntheticTest, DEFAULT_DATA.syntheticTest);
    }
    assert.equal(dirsOf(spec, []).protocol?.targetTrain, DEFAULT_DATA.targetTrain, "no preset");
  }
  // SimGAN's paper preset stays on 36x60 (its paper's 35x55 gray eyes)
  const simgan = dirsOf(SIMGAN_CONFIG as ConfigSpec<CycleDataSettings>, ["--preset", "paper"]);
  assert.equal(simgan.source, DEFAULT_DATA.synthetic);
  assert.equal(simgan.protocol?.targetTest, DEFAULT_DATA.targetTest);
});

Deno.test("default data: explicit data flags override the paper preset's sets", () => {
  const spec = CYCLEGAN_CONFIG as ConfigSpec<CycleDataSettings>;
  const all = dirsOf(spec, [
    "--preset",
    "paper",
    "--source",
    "data/mine/syn",
    "--target",
    "data/mine/tgt",
    "--targetTest",
    "data/mine/tgt-test",
    "--syntheticTest",
    "data/mine/syn-test",
  ]);
  assert.deepEqual(all.protocol, {
    synthetic: "data/mine/syn",
    targetTrain: "data/mine/tgt",
    targetTest: "data/mine/tgt-test",
    syntheticTest: "data/mine/syn-test",
  });
  // the 36x60x1 sets named explicitly: their own test sets, not the preset's
  const small = dirsOf(spec, [
    "--preset",
    "paper",
    "--source",
    DEFAULT_DATA.synthetic,
    "--target",
    DEFAULT_DATA.targetTrain,
  ]);
  assert.equal(small.protocol?.targetTest, DEFAULT_DATA.targetTest);
  assert.equal(small.protocol?.syntheticTest, DEFAULT_DATA.syntheticTest);
  // and the 128x128x3 sets named with another preset: theirs
  const big = dirsOf(spec, ["--source", SIZED.synthetic, "--target", SIZED.targetTrain]);
  assert.equal(big.protocol?.targetTest, SIZED.targetTest);
  assert.equal(big.protocol?.syntheticTest, SIZED.syntheticTest);
  // --real replaces the training target only; another target needs its test set named
  const real = dirsOf(spec, ["--preset", "paper", "--real", "data/mine/real"]);
  assert.equal(real.trainTarget, "data/mine/real");
  assert.equal(real.protocol?.targetTest, SIZED.targetTest);
  assert.throws(
    () => dirsOf(spec, ["--preset", "paper", "--target", "data/mine/tgt"]),
    (e) => e instanceof SetupError && /--targetTest DIR/.test(e.message),
  );
  assert.equal(dirsOf(spec, ["--preset", "paper", "--eval.enabled=false"]).protocol, undefined);
});

Deno.test("ensureGapDataset: renders at the spec's size; a set of another size is re-rendered", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "eyegan-defaults-" });
  try {
    const quiet = { quiet: true };
    const spec = {
      domain: "real" as const,
      split: "test" as const,
      n: 3,
      seed: 5,
      height: 16,
      width: 24,
      channels: 3 as const,
    };
    const dir = gapDatasetDir(tmp, spec);
    assert.equal(dir, `${tmp}/gap-real-test-n3-s5-16x24x3`);
    assert.deepEqual(await ensureGapDataset(dir, spec, quiet), {
      reused: false,
      replaced: undefined,
    });
    const meta = JSON.parse(await Deno.readTextFile(`${dir}/meta.json`));
    assert.deepEqual([meta.height, meta.width, meta.channels, meta.count], [16, 24, 3, 3]);
    assert.deepEqual(await ensureGapDataset(dir, spec, quiet), { reused: true });
    // the same set in gray is not it: re-rendered (as for any other mismatch), logged
    const gray = { ...spec, channels: 1 as const };
    const lines: string[] = [];
    const regray = await ensureGapDataset(dir, gray, { log: (l) => lines.push(l) });
    assert.equal(regray.reused, false);
    assert.match(regray.replaced!, /channels is 3, wanted 1/);
    assert.match(lines.join("\n"), /regenerating .*16x24x3: channels is 3, wanted 1/);
    assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/meta.json`)).channels, 1);
    // a 36x60x1 set where a sized one is wanted (and the other way round): height differs
    const plain = `${tmp}/plain`;
    await makeDataset(plain, { domain: "real", n: 3, seed: 5, split: "test" });
    const up = await ensureGapDataset(plain, spec, quiet);
    assert.match(up.replaced!, /height is 36, wanted 16/);
    const down = await ensureGapDataset(
      plain,
      { ...spec, height: undefined, width: undefined },
      quiet,
    );
    assert.match(down.replaced!, /height is 16, wanted 36/);
    const back = JSON.parse(await Deno.readTextFile(`${plain}/meta.json`));
    assert.deepEqual([back.height, back.width, back.channels], [36, 60, 3]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("ensureDefaultData: a sized default name is a default set, other folders are not", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "eyegan-defaults-" });
  try {
    // nothing is rendered for folders that are not default sets (the sized names are: their
    // spec, 10,000 images, is not rendered here)
    const other = `${tmp}/gap-real-test-n1000-s0-64x64x3`;
    assert.deepEqual(await ensureDefaultData([other, `${tmp}/mine`], { dataDir: tmp }), [
      { dir: other, action: "other" },
      { dir: `${tmp}/mine`, action: "other" },
    ]);
    assert.equal(defaultDataRole(`${tmp}/gap-real-test-n1000-s0-128x128x3`, tmp), "targetTest");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
