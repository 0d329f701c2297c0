/**
 * Small run folders for report tests: `config.json`, `metrics.jsonl`, `eval.json` (from
 * {@link fakeEval}, with the data-set paths and numbers a test wants), a `refined/` data set,
 * and the tiny NPY data sets the evaluation names, all built in a temp folder.
 *
 * @module
 */
import { writeDataset } from "../../lib/data/dataset.ts";
import type { GazeEvalFile } from "../../lib/eval/eval_file.ts";
import { summariseErrors } from "../../lib/gaze/metrics.ts";
import { fakeEval } from "./fake_eval.ts";

/** Images of the fixture data sets: N x 4 x 6 x 1. */
export const FAKE_SHAPE = { height: 4, width: 6, channels: 1 } as const;

/** A small labelled data set whose image `i` is a gradient offset by `value + 10 i`. */
export async function tinyDataset(dir: string, value: number, n = 4): Promise<void> {
  const per = FAKE_SHAPE.height * FAKE_SHAPE.width;
  const images = new Uint8Array(n * per);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < per; p++) images[i * per + p] = (value + 10 * i + 5 * p) & 0xff;
  }
  await writeDataset(dir, {
    arrays: {
      images: { data: images, shape: [n, FAKE_SHAPE.height, FAKE_SHAPE.width, 1] },
      gaze: { data: new Float32Array(n * 2), shape: [n, 2] },
    },
    meta: { format: "eyegan-dataset/1", count: n },
  });
}

/** What to put into a fake run folder. */
export interface FakeRunSpec {
  /** `config.json`'s method (default `simgan`). */
  method?: string;
  /** `config.json`'s values (default `{steps: 20, lambda: 1, refiner: {blocks: 2}}`). */
  values?: Record<string, unknown>;
  /** Run seed in `config.json` (default 0). */
  seed?: number;
  /** Number of `metrics.jsonl` records (default 6; 0 writes no file). */
  metrics?: number;
  /** The evaluation, changed from `fakeEval(root, false)`; `null` writes no `eval.json`. */
  eval?: ((ev: GazeEvalFile) => void) | null;
  /** The value of the refined images (default 90). */
  refinedValue?: number;
}

/** A fake run folder `root/name` (see the module documentation); returns its path. */
export async function fakeRun(root: string, name: string, spec: FakeRunSpec = {}): Promise<string> {
  const dir = `${root}/${name}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({
      format: "eyegan-run-config/1",
      method: spec.method ?? "simgan",
      preset: "smoke",
      seed: spec.seed ?? 0,
      values: spec.values ?? { steps: 20, lambda: 1, refiner: { blocks: 2 } },
      non_default: {},
    }),
  );
  const n = spec.metrics ?? 6;
  if (n > 0) {
    const lines = Array.from({ length: n }, (_, i) =>
      JSON.stringify({
        step: 10 * (i + 1),
        elapsed_s: i,
        loss_R: 2 / (i + 1),
        loss_D: 0.7,
        tensors: 40,
      }));
    await Deno.writeTextFile(`${dir}/metrics.jsonl`, lines.join("\n") + "\n");
  }
  if (spec.eval !== null) {
    const ev = fakeEval(root, false);
    ev.data.refined.dir = `${dir}/refined`;
    spec.eval?.(ev);
    await Deno.writeTextFile(`${dir}/eval.json`, JSON.stringify(ev, null, 2));
    await tinyDataset(`${dir}/refined`, spec.refinedValue ?? 90);
  }
  return dir;
}

/** The shared data sets `fakeEval(root)` names: `root/syn`, `root/target-test`. */
export async function fakeData(root: string): Promise<void> {
  await tinyDataset(`${root}/syn`, 40);
  await tinyDataset(`${root}/target-test`, 150);
}

/** Another refined-estimator summary, so that runs differ in their (b) rows. */
export function refinedErrors(errors: number[]) {
  return summariseErrors(errors);
}

/** A run folder of method `method` with a config and an env, no metrics or evaluation. */
export async function toyRun(dir: string, method: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({
      format: "eyegan-run-config/1",
      method,
      preset: "quick",
      seed: 1,
      values: { steps: 3 },
      non_default: {},
    }),
  );
  await Deno.writeTextFile(`${dir}/env.json`, JSON.stringify({ command: "deno task train-toy" }));
}
