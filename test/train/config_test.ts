import assert from "node:assert/strict";
import { UsageError } from "../../lib/util/cli.ts";
import {
  configFromValues,
  defineConfig,
  formatUsage,
  LOOP_DEFAULTS,
  LOOP_FIELDS,
  parseRunArgs,
  resolveConfig,
  RunSeeds,
} from "../../lib/train/mod.ts";

interface ToyConfig {
  steps: number;
  logEvery: number;
  sampleEvery: number;
  checkpointEvery: number;
  batchSize: number;
  lambda: number;
  loss: "lsgan" | "vanilla";
  flip: boolean;
  name: string;
  widths: number[];
  refiner: { blocks: number; filters: number };
  optimizer: { lr: number; beta1: number };
}

const SPEC = defineConfig<ToyConfig>({
  name: "toy",
  description: "A toy method.",
  defaults: {
    ...LOOP_DEFAULTS,
    batchSize: 16,
    lambda: 0.5,
    loss: "lsgan",
    flip: false,
    name: "x",
    widths: [8, 16],
    refiner: { blocks: 4, filters: 64 },
    optimizer: { lr: 1e-3, beta1: 0.9 },
  },
  presets: {
    smoke: { steps: 3, refiner: { blocks: 1, filters: 4 } },
    quick: {},
    paper: { steps: 10_000, batchSize: 512, optimizer: { lr: 1e-4 } },
  },
  fields: {
    ...LOOP_FIELDS,
    batchSize: { integer: true, min: 1 },
    lambda: { doc: "self-regularisation weight", min: 0 },
    loss: { choices: ["lsgan", "vanilla"] },
    "refiner.blocks": { integer: true, min: 1 },
    "optimizer.beta1": { min: 0, lessThan: 1 },
  },
});

function usageError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${e}`);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("resolveConfig: presets over defaults, quick by default", () => {
  const quick = resolveConfig(SPEC);
  assert.equal(quick.preset, "quick");
  assert.equal(quick.values.steps, 1000);
  assert.deepEqual(quick.nonDefault, {});
  const smoke = resolveConfig(SPEC, { preset: "smoke" });
  assert.equal(smoke.values.steps, 3);
  assert.deepEqual(smoke.values.refiner, { blocks: 1, filters: 4 });
  assert.equal(smoke.values.optimizer.lr, 1e-3);
  const paper = resolveConfig(SPEC, { preset: "paper" });
  assert.deepEqual([paper.values.batchSize, paper.values.optimizer.lr], [512, 1e-4]);
  assert.deepEqual(paper.nonDefault, {}, "preset values are the reference, not non-defaults");
  // defaults are not mutated by resolution
  assert.equal(SPEC.defaults.refiner.blocks, 4);
  usageError(
    () => resolveConfig(SPEC, { preset: "huge" }),
    /unknown preset 'huge'.*smoke, quick, paper/,
  );
});

Deno.test("resolveConfig: dotted overrides parsed by type, non-defaults marked", () => {
  const r = resolveConfig(SPEC, {
    preset: "smoke",
    overrides: {
      lambda: "0.25",
      "refiner.blocks": "2",
      "optimizer.lr": "1e-2",
      flip: "true",
      loss: "vanilla",
      name: "hello",
      widths: "1, 2,3",
      batchSize: 16, // typed value equal to the preset's: not a non-default
    },
  });
  assert.equal(r.values.lambda, 0.25);
  assert.equal(r.values.refiner.blocks, 2);
  assert.equal(r.values.optimizer.lr, 0.01);
  assert.equal(r.values.flip, true);
  assert.deepEqual(r.values.widths, [1, 2, 3]);
  assert.deepEqual(r.nonDefault, {
    lambda: { value: 0.25, default: 0.5 },
    "refiner.blocks": { value: 2, default: 1 },
    "optimizer.lr": { value: 0.01, default: 0.001 },
    flip: { value: true, default: false },
    loss: { value: "vanilla", default: "lsgan" },
    name: { value: "hello", default: "x" },
    widths: { value: [1, 2, 3], default: [8, 16] },
  });
});

Deno.test("resolveConfig: type errors name the flag and what is expected", () => {
  const bad = (overrides: Record<string, unknown>, pattern: RegExp) =>
    usageError(() => resolveConfig(SPEC, { overrides }), pattern);
  bad({ lambda: "abc" }, /--lambda must be a number, got 'abc'/);
  bad({ lambda: "" }, /--lambda must be a number/);
  bad({ lambda: "-1" }, /--lambda must be >= 0/);
  bad({ "refiner.blocks": "2.5" }, /--refiner.blocks must be an integer/);
  bad({ flip: "yes" }, /--flip must be true or false, got 'yes'/);
  bad({ loss: "wgan" }, /--loss must be one of lsgan, vanilla, got 'wgan'/);
  bad({ widths: "1,x" }, /--widths must be a number/);
  bad({ batchSize: true }, /--batchSize must be integer, got true/);
  bad({ refiner: "3" }, /unknown flag --refiner\b/);
  bad({ "refiner.block": "3" }, /unknown flag --refiner.block \(did you mean --refiner.blocks\?\)/);
  // an exclusive upper bound
  bad({ "optimizer.beta1": "1" }, /--optimizer.beta1 must be < 1, got '1'/);
  const below = resolveConfig(SPEC, { overrides: { "optimizer.beta1": "0.999" } });
  assert.equal(below.values.optimizer.beta1, 0.999);
});

Deno.test("defineConfig rejects inconsistent declarations", () => {
  const base = {
    name: "bad",
    defaults: { steps: 1, loss: "a" },
    presets: { smoke: {}, quick: {}, paper: {} },
  };
  assert.throws(
    () => defineConfig({ ...base, presets: { ...base.presets, paper: { stepz: 2 } as never } }),
    /preset 'paper' sets unknown field 'stepz'/,
  );
  assert.throws(
    () => defineConfig({ ...base, presets: { ...base.presets, smoke: { steps: "2" as never } } }),
    /preset 'smoke': --steps must be number/,
  );
  assert.throws(
    () => defineConfig({ ...base, fields: { loss: { choices: ["b"] } } }),
    /default of --loss must be one of b/,
  );
  assert.throws(
    () => defineConfig({ ...base, fields: { lost: {} } as never }),
    /fields names unknown field 'lost'/,
  );
  assert.throws(
    () => defineConfig({ ...base, presets: { smoke: {}, quick: {} } as never }),
    /preset 'paper' is missing/,
  );
  assert.throws(
    () => defineConfig({ ...base, defaults: { steps: 1, seed: 3 }, presets: base.presets }),
    /clashes with the run flag --seed/,
  );
});

Deno.test("parseRunArgs: run flags, dotted flags in every form, booleans", () => {
  const { flags, overrides } = parseRunArgs([
    "--preset",
    "smoke",
    "--lambda=0.5",
    "--refiner.blocks",
    "4",
    "--optimizer.lr=1e-3",
    "--flip",
    "--seed",
    "12",
    "--backend=cpu",
    "--quiet",
    "--widths",
    "1,2",
  ], SPEC);
  assert.deepEqual(flags, {
    preset: "smoke",
    out: undefined,
    resume: undefined,
    seed: 12,
    backend: "cpu",
    quiet: true,
    help: false,
  });
  assert.deepEqual(overrides, {
    lambda: "0.5",
    "refiner.blocks": "4",
    "optimizer.lr": "1e-3",
    flip: "true",
    widths: "1,2",
  });
  assert.equal(parseRunArgs(["--flip", "false"], SPEC).overrides.flip, "false");
  assert.equal(parseRunArgs(["--flip=false"], SPEC).overrides.flip, "false");
  assert.equal(parseRunArgs(["--lambda", "-0.5"], SPEC).overrides.lambda, "-0.5");
  assert.equal(parseRunArgs(["-h"], SPEC).flags.help, true);
});

Deno.test("parseRunArgs: unknown flags list every valid one; other usage errors", () => {
  usageError(
    () => parseRunArgs(["--lamda", "1"], SPEC),
    /unknown flag --lamda \(did you mean --lambda\?\)\nvalid flags: --preset, --out, --resume, --seed, --backend, --quiet, --help, --steps, .*--refiner.blocks, --refiner.filters, --optimizer.lr, --optimizer.beta1$/,
  );
  usageError(() => parseRunArgs(["--lambda"], SPEC), /--lambda needs a value/);
  usageError(() => parseRunArgs(["--lambda", "--flip"], SPEC), /--lambda needs a value/);
  usageError(() => parseRunArgs(["--steps", "1", "--steps=2"], SPEC), /more than once/);
  usageError(() => parseRunArgs(["smoke"], SPEC), /unexpected argument 'smoke'/);
  usageError(() => parseRunArgs(["--seed", "-1"], SPEC), /--seed must be an integer/);
  usageError(() => parseRunArgs(["--backend", "tpu"], SPEC), /unknown backend 'tpu'/);
});

Deno.test("formatUsage lists run flags, presets and every field with its preset values", () => {
  const text = formatUsage(SPEC);
  assert.match(text, /deno task train-toy/);
  assert.match(text, /--preset NAME +starting values: smoke, quick, paper \(default quick\)/);
  assert.match(text, /--steps INT \* +\[3 \/ 1000 \/ 10000\] {2}training steps in total/);
  assert.match(text, /--loss lsgan\|vanilla +\[lsgan \/ lsgan \/ lsgan\]/);
  assert.match(text, /--refiner.blocks INT +\[1 \/ 4 \/ 4\]/);
  assert.match(text, /self-regularisation weight/);
});

Deno.test("configFromValues: checks saved values, fills new fields, rejects unknown ones", () => {
  const saved = structuredClone(resolveConfig(SPEC, { overrides: { lambda: "2" } }).values);
  const { resolved, added } = configFromValues(SPEC, "quick", saved);
  assert.equal(resolved.values.lambda, 2);
  assert.deepEqual(added, []);
  const older = structuredClone(saved) as Partial<ToyConfig>;
  delete older.flip;
  assert.deepEqual(configFromValues(SPEC, "quick", older).added, ["flip"]);
  assert.throws(
    () => configFromValues(SPEC, "quick", { ...saved, gamma: 1 }),
    /does not know: gamma/,
  );
  assert.throws(
    () => configFromValues(SPEC, "quick", { ...saved, lambda: "2" }),
    /saved config: lambda must be number/,
  );
});

Deno.test("RunSeeds: named streams are stable and distinct", () => {
  const a = new RunSeeds(7), b = new RunSeeds(7), c = new RunSeeds(8);
  assert.equal(a.network("G"), b.network("G"));
  assert.notEqual(a.network("G"), a.network("F"));
  assert.notEqual(a.network("G"), c.network("G"));
  assert.deepEqual(a.rng("data", 3).permutation(20), b.rng("data", 3).permutation(20));
  assert.notDeepEqual(a.rng("data", 3).permutation(20), a.rng("data", 4).permutation(20));
  assert.equal(a.derive("dropout", "G"), b.derive("dropout", "G"));
  assert.throws(() => new RunSeeds(-1), /integer in 0\.\.4294967295/);
  assert.throws(() => new RunSeeds(1.5), RangeError);
});
