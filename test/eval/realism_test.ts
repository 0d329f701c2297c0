/**
 * The paired evaluation's realism score (`lib/eval/paired.ts`): a real-vs-G(x) classifier
 * (`visualTuringTest`, split by pair) with the twins as the real side, written as the optional
 * `realism` field of `paired_eval.json`; its settings and the replacing rules; `eval-pairs`'
 * `--realism-steps` and `--no-realism`.
 */
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend/mod.ts";
import { Dataset, makeDataset } from "../../lib/data/dataset.ts";
import {
  checkPairedEvalTarget,
  evaluatePairs,
  formatPairedSummary,
  pairedEvalDifferences,
  pairedEvalSettings,
  type PairedTranslator,
  plannedPairedEvalSettings,
  readPairedEval,
  realismSettingsKey,
  refinerTranslator,
  runPairedEval,
} from "../../lib/eval/paired.ts";
import { identityRefiner } from "../../lib/eval/refiner.ts";
import { TURING_DEFAULTS, visualTuringTest } from "../../lib/eval/turing.ts";
import { UsageError } from "../../lib/util/cli.ts";
import { main as pairsMain } from "../../tasks/eval_pairs.ts";
import { captured } from "../methods/task_fixture.ts";

await initBackend({ backend: "wasm" });

const FEW = { steps: 5 };

const floats = (bytes: Uint8Array) => Float32Array.from(bytes, (v) => v / 127.5 - 1);

Deno.test("visualTuringTest pairs: paired sides must be the same length; deterministic", async () => {
  const shape = [6, 4, 4, 1] as const;
  const a = { data: new Float32Array(6 * 16).fill(0.5), shape };
  const b = { data: new Float32Array(6 * 16).fill(-0.5), shape };
  const short = { data: new Float32Array(5 * 16), shape: [5, 4, 4, 1] as const };
  await assert.rejects(
    () => visualTuringTest(a, short, { steps: 1, pairs: true }),
    /paired sides differ in length \(6 real, 5 refined\)/,
  );
  const r1 = await visualTuringTest(a, b, { steps: 3, pairs: true });
  const r2 = await visualTuringTest(a, b, { steps: 3, pairs: true });
  assert.deepEqual(r1, r2);
  assert.equal(r1.n, 2 * Math.round(6 * 0.25));
  assert.equal("pairs" in r1.config, false, "pairs is not one of the recorded settings");
});

Deno.test("runPairedEval with realism: the field, by hand, settings and replacing rules", async () => {
  const root = await Deno.makeTempDir({ prefix: "eyegan-realism-" });
  try {
    const paired = `${root}/pairs`;
    await makeDataset(paired, { domain: "paired", n: 10, seed: 1, split: "test" });
    const identity = refinerTranslator(identityRefiner());
    const out = `${root}/paired_eval.json`;
    const file = await runPairedEval(identity, {
      paired,
      out,
      quiet: true,
      batchSize: 3, // several batches: the kept images are gathered across them
      realism: FEW,
    });
    const r = file.realism!;
    assert.ok(r, "realism recorded");
    assert.deepEqual(r.classifier, { ...TURING_DEFAULTS, ...FEW });
    assert.equal(r.real_set, "paired_twins");
    assert.equal(r.split, "by_pair");
    // identity: G(x) is the raw render, so its classifier is the identity one
    assert.deepEqual(r.metrics, r.identity);
    // by hand: twins vs raw renders, split by pair
    const ds = await Dataset.open(paired);
    const shape = [10, ds.height, ds.width, ds.channels] as const;
    const twins = { data: floats((await ds.readAll("images")) as Uint8Array), shape };
    const raw = { data: floats((await ds.readAll("synthetic")) as Uint8Array), shape };
    const { config: _c, ...want } = await visualTuringTest(twins, raw, { ...FEW, pairs: true });
    assert.deepEqual(r.metrics, want);
    assert.equal(r.metrics.n, 6);
    assert.ok(
      Math.abs(r.metrics.stdError - Math.sqrt(want.accuracy * (1 - want.accuracy) / 6)) < 1e-12,
    );
    assert.match(file.definitions.realism!, /twins.*split by pair/);
    assert.deepEqual(await readPairedEval(out), JSON.parse(JSON.stringify(file)));
    const summary = formatPairedSummary(file);
    assert.match(summary, /realism score/);
    assert.match(summary, /twins vs G\(x\): identity/);
    assert.match(summary, /twins vs raw synthetic x \(identity\)/);

    // the pixel metrics do not change; a file without it has no field or definition
    const plain = await runPairedEval(identity, { paired, quiet: true });
    assert.equal(plain.realism, undefined);
    assert.equal(plain.definitions.realism, undefined);
    assert.deepEqual(plain.metrics, file.metrics);

    // settings: the classifier's are one of them
    const settings = pairedEvalSettings(file);
    assert.equal(settings.realism, realismSettingsKey({ ...TURING_DEFAULTS, ...FEW }));
    assert.match(settings.realism!, /^steps 5, .*seed 0, split by pair$/);
    const planned = await plannedPairedEvalSettings(identity, { paired, realism: FEW });
    assert.deepEqual(planned, settings);
    await checkPairedEvalTarget(out, planned); // same settings: may be replaced
    const none = { ...planned, realism: null };
    assert.deepEqual(await pairedEvalDifferences(settings, none), [
      `realism: ${settings.realism} there, none here`,
    ]);
    const more = await plannedPairedEvalSettings(identity, { paired, realism: { steps: 6 } });
    assert.deepEqual(await pairedEvalDifferences(settings, more), [
      `realism: ${settings.realism} there, ${more.realism} here`,
    ]);
    await assert.rejects(() => checkPairedEvalTarget(out, none), UsageError);
    await assert.rejects(() => checkPairedEvalTarget(out, more), /realism: steps 5.*steps 6/);
    await checkPairedEvalTarget(out, more, { force: true });
    // a file without the score (as training writes it, or one from before the field) may gain
    // one; not the reverse
    assert.deepEqual(await pairedEvalDifferences(pairedEvalSettings(plain), planned), []);
    const { realism: _r, ...old } = pairedEvalSettings(plain);
    assert.deepEqual(
      await pairedEvalDifferences(old as typeof planned, planned),
      [],
      "settings from before the realism field",
    );

    // a maps translator: no identity row
    const maps: PairedTranslator = {
      name: "maps-constant",
      input: "maps",
      encodeMaps: (ids) => Float32Array.from(ids, (v) => v / 4),
      translate: (_x, s) => Promise.resolve(new Float32Array(s[0] * s[1] * s[2] * ds.channels)),
    };
    const m = await evaluatePairs(ds, maps, { quiet: true, realism: FEW });
    assert.ok(m.realism?.metrics);
    assert.equal(m.realism?.identity, undefined);
    // too few pairs for a held-out split: a clear error
    await assert.rejects(
      () => evaluatePairs(ds, identity, { quiet: true, limit: 3, realism: FEW }),
      /realism score needs at least 4 pairs, got 3.*--no-realism/,
    );
    ds.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("eval-pairs: --realism-steps, --no-realism", async () => {
  const root = await Deno.makeTempDir({ prefix: "eyegan-realism-task-" });
  try {
    const paired = `${root}/pairs`;
    await makeDataset(paired, { domain: "paired", n: 8, seed: 2, split: "test" });
    const base = ["--identity", "--paired", paired, "--no-segmentation", "--quiet"];
    const run = (args: string[]) => captured(() => pairsMain([...base, ...args]));
    const a = await run(["--realism-steps", "3", "--out", `${root}/a`]);
    assert.equal(a.value, 0, a.text);
    const fa = await readPairedEval(`${root}/a/paired_eval.json`);
    assert.equal(fa.realism?.classifier.steps, 3);
    assert.equal(fa.realism?.classifier.seed, TURING_DEFAULTS.seed);
    assert.match(a.text, /realism score/);
    // the same again: the same numbers, allowed to replace its own file
    const a2 = await run(["--realism-steps", "3", "--out", `${root}/a`]);
    assert.equal(a2.value, 0, a2.text);
    assert.deepEqual(
      (await readPairedEval(`${root}/a/paired_eval.json`)).realism,
      fa.realism,
    );
    // other realism settings, or none: refused unless --force
    await assert.rejects(
      () => pairsMain([...base, "--realism-steps", "4", "--out", `${root}/a`]),
      /made with other settings \(realism: steps 3, .* there, steps 4, .* here\)/,
    );
    await assert.rejects(
      () => pairsMain([...base, "--no-realism", "--out", `${root}/a`]),
      /realism: steps 3, .* there, none here/,
    );
    const forced = await run(["--no-realism", "--force", "--out", `${root}/a`]);
    assert.equal(forced.value, 0, forced.text);
    assert.equal((await readPairedEval(`${root}/a/paired_eval.json`)).realism, undefined);
    // --no-realism: no field; such a file may then gain the score
    const b = await run(["--no-realism", "--out", `${root}/b`]);
    assert.equal(b.value, 0, b.text);
    const fb = await readPairedEval(`${root}/b/paired_eval.json`);
    assert.equal(fb.realism, undefined);
    assert.deepEqual(fb.metrics, fa.metrics);
    assert.doesNotMatch(b.text, /realism score/);
    const b2 = await run(["--realism-steps", "3", "--out", `${root}/b`]);
    assert.equal(b2.value, 0, b2.text);
    assert.deepEqual((await readPairedEval(`${root}/b/paired_eval.json`)).realism, fa.realism);
    await assert.rejects(
      () => pairsMain([...base, "--no-realism", "--realism-steps", "3"]),
      (e: unknown) => e instanceof UsageError && /drop --no-realism/.test(e.message),
    );
    await assert.rejects(() => pairsMain([...base, "--realism-steps", "0"]), UsageError);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
