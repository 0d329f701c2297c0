/**
 * The harness end to end with a toy method: a two-conv network trained to copy its input, with
 * a shuffled data order (epoch/offset in the checkpoint's JSON state) and a "history buffer" of
 * the previous outputs (an extra checkpoint array), so that an exact resume needs all of them.
 *
 * Run as a program (`deno run ... training_test.ts --child ARGS`) it is the toy task itself; the
 * Ctrl-C test starts it that way and sends it SIGINT.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { conv2d } from "../../lib/nn/layers.ts";
import { makeNetwork, type Network, newStore } from "../../lib/nn/network.ts";
import { UsageError } from "../../lib/util/cli.ts";
import {
  captureCheckpoint,
  CheckpointError,
  decodeCheckpoint,
  defaultRunDir,
  defineConfig,
  encodeCheckpoint,
  LOOP_DEFAULTS,
  LOOP_FIELDS,
  NonFiniteLossError,
  readCheckpoint,
  readMetrics,
  restoreCheckpoint,
  type RunSession,
  runTraining,
  startRun,
  type TrainingResult,
  writeCheckpoint,
  writeSampleGrid,
} from "../../lib/train/mod.ts";

const TOY = defineConfig({
  name: "toy",
  defaults: {
    ...LOOP_DEFAULTS,
    steps: 6,
    logEvery: 1,
    checkpointEvery: 0,
    sampleEvery: 0,
    batchSize: 4,
    size: 6,
    net: { hidden: 2 },
    lr: 0.05,
  },
  presets: { smoke: {}, quick: {}, paper: { steps: 100 } },
  fields: { ...LOOP_FIELDS, batchSize: { integer: true, min: 1 }, "net.hidden": { integer: true } },
});
type ToyConfig = typeof TOY.defaults;

const DATASET = 10;

function buildToy(config: ToyConfig, seed: number): Network<ToyConfig, tf.Tensor4D> {
  const params = newStore({ seed, namespace: "toyG" });
  const a = conv2d(params.scope("conv1"), {
    inChannels: 1,
    filters: config.net.hidden,
    kernel: 3,
    init: "he",
  });
  const b = conv2d(params.scope("conv2"), { inChannels: config.net.hidden, filters: 1, kernel: 1 });
  return makeNetwork({
    kind: "toy",
    config,
    params,
    inChannels: 1,
    forward: (x) => b.apply(tf.tanh(a.apply(x))) as tf.Tensor4D,
  });
}

interface ToyOptions {
  signal?: AbortSignal;
  nanAt?: number;
  sigintAt?: number;
  print?: (m: string) => void;
  beforeTrain?: (s: RunSession<ToyConfig>) => void | Promise<void>;
  /** Build the network with this many hidden channels, whatever the config says. */
  hidden?: number;
  /** `runTraining`'s `keepCheckpoints`. */
  keepCheckpoints?: number;
}

/** The toy method's task: what a real method's `train-<method>` does, in 60 lines. */
async function trainToy(argv: string[], options: ToyOptions = {}) {
  const messages: string[] = [];
  const print = options.print ?? ((m: string) => void messages.push(m));
  const s = await startRun(TOY, argv, { print, git: { commit: "unknown", reason: "test" } });
  if (!s) return undefined;
  const { config, seeds } = s;
  const G = buildToy(
    options.hidden === undefined ? config : { ...config, net: { hidden: options.hidden } },
    seeds.network("G"),
  );
  const opt = tf.train.adam(config.lr);
  const px = config.size * config.size;
  const images = new Float32Array(DATASET * px);
  const dataRng = seeds.rng("dataset");
  for (let i = 0; i < images.length; i++) images[i] = dataRng.uniform(-1, 1);
  let state = { epoch: 0, offset: 0 };
  let buffer: Float32Array = new Float32Array(config.batchSize * px);
  try {
    if (s.checkpoint) {
      const r = await restoreCheckpoint(s.checkpoint, {
        networks: { G },
        optimizers: { G: opt },
      });
      // the method's own state is checked like the networks: a CheckpointError naming the file
      const file = s.checkpoint.file;
      const st = r.state as Partial<typeof state> | null;
      if (!Number.isInteger(st?.epoch) || !Number.isInteger(st?.offset)) {
        throw new CheckpointError(`${file}: state ${JSON.stringify(st)} lacks epoch and offset`);
      }
      if (!r.arrays.buffer) throw new CheckpointError(`${file}: array 'buffer' is missing`);
      state = st as typeof state;
      buffer = r.arrays.buffer.data;
      // not committing the resume here: runTraining does it before its first step
    }
    await options.beforeTrain?.(s);
    const nextBatch = (): Float32Array => {
      if (state.offset + config.batchSize > DATASET) state = { epoch: state.epoch + 1, offset: 0 };
      const order = seeds.rng("data", state.epoch).permutation(DATASET);
      const out = new Float32Array(config.batchSize * px);
      for (let k = 0; k < config.batchSize; k++) {
        const j = order[state.offset + k];
        out.set(images.subarray(j * px, (j + 1) * px), k * px);
      }
      state = { ...state, offset: state.offset + config.batchSize };
      return out;
    };
    const shape: [number, number, number, number] = [config.batchSize, config.size, config.size, 1];
    const result: TrainingResult = await runTraining({
      run: s.run,
      totalSteps: config.steps,
      startStep: s.startStep,
      elapsedSeconds: s.checkpoint?.elapsedSeconds,
      logEvery: config.logEvery,
      sampleEvery: config.sampleEvery,
      checkpointEvery: config.checkpointEvery,
      quiet: s.quiet,
      signal: options.signal,
      keepCheckpoints: options.keepCheckpoints,
      print,
      step: async (i) => {
        const batch = nextBatch();
        const x = tf.tidy(() =>
          tf.add(tf.mul(tf.tensor4d(batch, shape), 0.5), tf.mul(tf.tensor4d(buffer, shape), 0.5))
        );
        const cost = opt.minimize(
          () => tf.mean(tf.square(tf.sub(G.apply(x as tf.Tensor4D, { training: true }), x))),
          true,
          G.trainableVariables(),
        )!;
        const y = G.apply(x as tf.Tensor4D);
        buffer = Float32Array.from(await y.data());
        let loss = (await cost.data())[0];
        tf.dispose([x, y, cost]);
        if (i + 1 === options.nanAt) loss = NaN;
        if (i + 1 === options.sigintAt) {
          Deno.kill(Deno.pid, "SIGINT");
          await new Promise((r) => setTimeout(r, 100));
        }
        return { loss, epoch: state.epoch };
      },
      save: () => ({
        networks: { G },
        optimizers: { G: opt },
        arrays: { buffer },
        state,
      }),
      onSample: async (step) => {
        const x = tf.tensor4d(buffer, shape);
        const negated = tf.neg(x);
        await writeSampleGrid(s.run, step, [x, negated]);
        tf.dispose([x, negated]);
      },
    });
    return { session: s, result, messages };
  } finally {
    G.dispose();
    opt.dispose();
  }
}

if (import.meta.main && Deno.args[0] === "--child") {
  const out = await trainToy(Deno.args.slice(1), {
    sigintAt: 2,
    print: (m) => console.error(m),
  });
  Deno.exit(out?.result.exitCode ?? 0);
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "eyegan-train-" });
}

async function losses(dir: string): Promise<number[]> {
  return (await readMetrics(`${dir}/metrics.jsonl`)).map((r) => r.loss);
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

const BASE = ["--backend", "cpu", "--quiet", "--seed", "3"];

Deno.test("run folder: config.json, env.json, metrics.jsonl, samples, checkpoints", async () => {
  const root = await tempDir();
  const dir = `${root}/run`;
  const out = await trainToy([...BASE, "--out", dir, "--lr", "0.02", "--sampleEvery", "3"]);
  assert.ok(out);
  assert.equal(out.result.status, "completed");
  assert.equal(out.result.exitCode, 0);
  assert.deepEqual(await files(dir), [
    "checkpoints",
    "config.json",
    "env.json",
    "metrics.jsonl",
    "samples",
  ]);
  const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  assert.equal(config.format, "eyegan-run-config/1");
  assert.equal(config.method, "toy");
  assert.equal(config.preset, "quick");
  assert.equal(config.seed, 3);
  assert.equal(config.values.lr, 0.02);
  assert.deepEqual(config.values.net, { hidden: 2 });
  assert.deepEqual(config.non_default, {
    lr: { value: 0.02, default: 0.05 },
    sampleEvery: { value: 3, default: 0 },
  });
  const env = JSON.parse(await Deno.readTextFile(`${dir}/env.json`));
  assert.equal(env.format, "eyegan-run-env/1");
  assert.equal(env.seed, 3);
  assert.equal(env.backend.name, "cpu");
  assert.ok(env.backend.attempts[0].reason, "the backend report says why");
  assert.equal(env.versions.tfjs, tf.version_core);
  assert.equal(env.versions.deno, Deno.version.deno);
  assert.deepEqual(env.git, { commit: "unknown", reason: "test" });
  assert.deepEqual(env.argv.slice(-4), ["--lr", "0.02", "--sampleEvery", "3"]);
  assert.match(env.command, /^deno task train-toy --backend cpu .* --lr 0\.02/);
  assert.ok(!Number.isNaN(Date.parse(env.started)));
  assert.deepEqual(env.resumes, []);
  // metrics: one line per step (logEvery 1), finite losses, no tensor leak
  const metrics = await readMetrics(`${dir}/metrics.jsonl`);
  assert.deepEqual(metrics.map((m) => m.step), [1, 2, 3, 4, 5, 6]);
  for (const m of metrics) {
    assert.deepEqual(Object.keys(m), ["step", "elapsed_s", "loss", "epoch", "tensors"]);
    assert.ok(Number.isFinite(m.loss) && m.elapsed_s >= 0);
  }
  // Adam makes its slot variables in step 1; from then on the tensor count stays flat
  assert.equal(new Set(metrics.slice(1).map((m) => m.tensors)).size, 1, "no tensor leak");
  assert.ok(metrics[5].loss < metrics[0].loss, "the toy learns");
  // samples at 3 and 6, PNG files
  assert.deepEqual(await files(`${dir}/samples`), ["step-000003.png", "step-000006.png"]);
  const png = await Deno.readFile(`${dir}/samples/step-000006.png`);
  assert.deepEqual([...png.subarray(1, 4)], [80, 78, 71]); // "PNG"
  // final checkpoint, and latest pointing at it
  assert.deepEqual(await files(`${dir}/checkpoints`), [
    "latest.safetensors",
    "step-000006.safetensors",
  ]);
  assert.equal((await readCheckpoint(`${dir}/checkpoints/latest.safetensors`)).step, 6);
  // a second run into the same folder is refused, suggesting --resume
  await assert.rejects(
    () => trainToy([...BASE, "--out", dir]),
    new RegExp(`already holds a run: continue it with --resume ${dir}`),
  );
  assert.match(defaultRunDir("toy", new Date(2026, 0, 2, 3, 4, 5)), /^runs\/toy-20260102-030405$/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("git commit recorded when --allow-run permits git, else unknown with the reason", async () => {
  const { gitInfo } = await import("../../lib/train/run.ts");
  const info = await gitInfo();
  const granted = (await Deno.permissions.query({ name: "run", command: "git" })).state ===
    "granted";
  if (granted && info.commit !== "unknown") assert.match(info.commit, /^[0-9a-f]{40}$/);
  else assert.ok("reason" in info && info.reason.length > 0);
});

Deno.test("checkpoint round trip: weights, Adam state, arrays, state identical", async () => {
  const root = await tempDir();
  const out = await trainToy([...BASE, "--out", `${root}/a`, "--steps", "3"]);
  assert.ok(out);
  const ckpt = await readCheckpoint(`${root}/a/checkpoints/latest.safetensors`);
  assert.equal(ckpt.step, 3);
  assert.equal(ckpt.method, "toy");
  assert.equal(ckpt.seed, 3);
  assert.equal(ckpt.version, 1);
  assert.equal((ckpt.config.values as ToyConfig).steps, 3);
  assert.deepEqual(Object.keys(ckpt.networks.G.weights).sort(), [
    "conv1/bias",
    "conv1/kernel",
    "conv2/bias",
    "conv2/kernel",
  ]);
  const adam = ckpt.optimizers.G;
  assert.equal(adam.className, "Adam");
  assert.equal(adam.iterations, 3);
  assert.deepEqual(adam.weights.map((w) => w.name), [
    "toyG/conv1/kernel/m",
    "toyG/conv1/bias/m",
    "toyG/conv2/kernel/m",
    "toyG/conv2/bias/m",
    "toyG/conv1/kernel/v",
    "toyG/conv1/bias/v",
    "toyG/conv2/kernel/v",
    "toyG/conv2/bias/v",
  ]);
  assert.deepEqual(Object.keys(adam.slots), ["accBeta1", "accBeta2"]);
  assert.deepEqual(ckpt.arrays.buffer.shape, [4 * 36]);
  assert.deepEqual(ckpt.state, { epoch: 1, offset: 4 });

  // restore into fresh objects, capture again: every array identical
  const G = buildToy(ckpt.config.values as ToyConfig, 1234);
  const opt = tf.train.adam(0.05);
  const before = tf.memory().numTensors;
  const restored = await restoreCheckpoint(ckpt, { networks: { G }, optimizers: { G: opt } });
  assert.equal(restored.step, 3);
  const again = await captureCheckpoint({
    networks: { G },
    optimizers: { G: opt },
    arrays: { buffer: restored.arrays.buffer },
    state: restored.state,
  }, { method: "toy", step: 3, seed: 3, config: ckpt.config, now: new Date(ckpt.created) });
  assert.deepEqual(again.networks, ckpt.networks);
  assert.deepEqual(again.optimizers.G.weights, adam.weights);
  assert.deepEqual(again.optimizers.G.slots, adam.slots);
  assert.equal(again.optimizers.G.iterations, 3);
  assert.deepEqual(again.arrays, ckpt.arrays);
  // bytes round trip
  const decoded = decodeCheckpoint(encodeCheckpoint(again), "mem");
  assert.deepEqual(decoded.networks, ckpt.networks);
  assert.deepEqual(decoded.optimizers, ckpt.optimizers);
  assert.deepEqual(decoded.state, ckpt.state);
  // restoring created 8 slot variables + 2 for beta products already there: no stray tensors
  assert.equal(tf.memory().numTensors - before, 8);
  G.dispose();
  opt.dispose();
  await Deno.remove(root, { recursive: true });
});

Deno.test("resume: 3 steps + Ctrl-C-free checkpoint + resume 3 == 6 straight", async () => {
  const root = await tempDir();
  const straight = await trainToy([...BASE, "--out", `${root}/straight`]);
  assert.ok(straight);
  const first = await trainToy([...BASE, "--out", `${root}/split`, "--steps", "3"]);
  assert.equal(first?.result.step, 3);
  // resuming without more steps does nothing
  const noop = await trainToy(["--resume", `${root}/split`, "--quiet"]);
  assert.equal(noop?.result.step, 3);
  assert.match(noop!.messages.join("\n"), /already at step 3 of 3; nothing to do/);
  // extend: --steps is resumable; repeating the original flags is accepted
  const second = await trainToy(["--resume", `${root}/split`, "--steps", "6", ...BASE.slice(0, 3)]);
  assert.equal(second?.result.step, 6);
  assert.equal(second?.session.startStep, 3);
  const a = await losses(`${root}/straight`);
  const b = await losses(`${root}/split`);
  assert.equal(a.length, 6);
  assert.equal(b.length, 6);
  for (let i = 0; i < 6; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= 1e-6, `step ${i + 1}: ${a[i]} vs ${b[i]}`);
  }
  assert.deepEqual(b, a, "bit-identical on the same backend");
  const ckA = await readCheckpoint(`${root}/straight/checkpoints/latest.safetensors`);
  const ckB = await readCheckpoint(`${root}/split/checkpoints/latest.safetensors`);
  assert.deepEqual(ckB.networks, ckA.networks);
  assert.deepEqual(ckB.optimizers, ckA.optimizers);
  // the run folder records the resume and the new steps
  const config = JSON.parse(await Deno.readTextFile(`${root}/split/config.json`));
  assert.equal(config.values.steps, 6);
  const env = JSON.parse(await Deno.readTextFile(`${root}/split/env.json`));
  assert.deepEqual(env.resumes.map((r: { step: number }) => r.step), [3, 3]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("resume is exact on the wasm backend too", async () => {
  const root = await tempDir();
  const wasm = ["--backend", "wasm", "--quiet", "--seed", "5", "--net.hidden", "3"];
  await trainToy([...wasm, "--out", `${root}/straight`]);
  await trainToy([...wasm, "--out", `${root}/split`, "--steps", "2"]);
  const env = JSON.parse(await Deno.readTextFile(`${root}/split/env.json`));
  assert.equal(env.backend.name, "wasm");
  // no --backend: the run continues on the backend it started with
  await trainToy(["--resume", `${root}/split`, "--steps", "6", "--quiet"]);
  const resumed = JSON.parse(await Deno.readTextFile(`${root}/split/env.json`));
  assert.equal(resumed.resumes[0].backend.name, "wasm");
  assert.deepEqual(await losses(`${root}/split`), await losses(`${root}/straight`));
  await Deno.remove(root, { recursive: true });
});

Deno.test("interrupt (signal): finishes the step, checkpoints, exit 130, resume matches", async () => {
  const root = await tempDir();
  const straight = await trainToy([...BASE, "--out", `${root}/straight`]);
  assert.ok(straight);
  const ac = new AbortController();
  const cut = await trainToy([...BASE, "--out", `${root}/cut`, "--checkpointEvery", "2"], {
    signal: ac.signal,
    beforeTrain: () => {
      // stop during step 3 (after checkpoint 2)
      setTimeout(() => ac.abort(), 0);
    },
  });
  assert.ok(cut);
  assert.equal(cut.result.status, "interrupted");
  assert.equal(cut.result.exitCode, 130);
  const stopped = cut.result.step;
  assert.ok(stopped >= 1 && stopped < 6, `stopped at ${stopped}`);
  assert.match(
    cut.messages.join("\n"),
    new RegExp(
      `interrupted at step ${stopped} of 6.*\\nresume with: deno task train-toy --resume ${root}/cut`,
    ),
  );
  assert.equal((await readCheckpoint(`${root}/cut/checkpoints/latest.safetensors`)).step, stopped);
  const rest = await trainToy(["--resume", `${root}/cut`, "--quiet"]);
  assert.equal(rest?.result.status, "completed");
  assert.deepEqual(await losses(`${root}/cut`), await losses(`${root}/straight`));
  await Deno.remove(root, { recursive: true });
});

Deno.test("Ctrl-C (real SIGINT) in a child process: checkpoint, resume hint, exit code 130", async () => {
  const root = await tempDir();
  const dir = `${root}/run`;
  const child = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-ffi",
      "--allow-run",
      new URL(import.meta.url).pathname,
      "--child",
      ...BASE,
      "--out",
      dir,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(child.stderr);
  assert.equal(child.code, 130, stderr);
  assert.match(stderr, /stopping after step 2 and saving a checkpoint/);
  assert.match(stderr, new RegExp(`resume with: deno task train-toy --resume ${dir}`));
  assert.equal((await readCheckpoint(`${dir}/checkpoints/latest.safetensors`)).step, 2);
  assert.deepEqual((await readMetrics(`${dir}/metrics.jsonl`)).map((m) => m.step), [1, 2]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("NaN loss: stops naming step and loss; the last good checkpoint stays latest", async () => {
  const root = await tempDir();
  const dir = `${root}/run`;
  await assert.rejects(
    () => trainToy([...BASE, "--out", dir, "--checkpointEvery", "2"], { nanAt: 5 }),
    (e: unknown) => {
      assert.ok(e instanceof NonFiniteLossError);
      assert.equal(e.step, 5);
      assert.equal(e.loss, "loss");
      assert.match(e.message, /^step 5: loss is NaN; training stopped and nothing was saved/);
      assert.match(e.message, /last good checkpoint, step 4/);
      return true;
    },
  );
  assert.deepEqual(await files(`${dir}/checkpoints`), [
    "latest.safetensors",
    "step-000002.safetensors",
    "step-000004.safetensors",
  ]);
  assert.equal((await readCheckpoint(`${dir}/checkpoints/latest.safetensors`)).step, 4);
  assert.deepEqual((await readMetrics(`${dir}/metrics.jsonl`)).map((m) => m.step), [1, 2, 3, 4]);
  // resuming from step 4 trains 5 and 6 again
  const rest = await trainToy(["--resume", dir, "--quiet"]);
  assert.equal(rest?.result.step, 6);
  assert.deepEqual((await readMetrics(`${dir}/metrics.jsonl`)).map((m) => m.step), [
    1,
    2,
    3,
    4,
    5,
    6,
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("atomic checkpoints: a failed write leaves the previous one intact", async () => {
  const root = await tempDir();
  const dir = `${root}/run`;
  const out = await trainToy([...BASE, "--out", dir, "--steps", "2"]);
  assert.ok(out);
  const latest = `${dir}/checkpoints/latest.safetensors`;
  const good = await Deno.readFile(latest);
  const ckpt = decodeCheckpoint(good, latest);
  // 1) the step file cannot be replaced (a folder is in the way): nothing changes
  await Deno.mkdir(`${dir}/checkpoints/step-000003.safetensors`);
  await assert.rejects(() => writeCheckpoint(out.session.run, { ...ckpt, step: 3 }));
  assert.deepEqual(await Deno.readFile(latest), good);
  assert.deepEqual(await files(`${dir}/checkpoints`), [
    "latest.safetensors",
    "step-000002.safetensors",
    "step-000003.safetensors", // the folder we made
  ]);
  // 2) encoding fails (inconsistent array): nothing written at all
  const broken = { ...ckpt, step: 4, arrays: { bad: { shape: [3], data: new Float32Array(2) } } };
  assert.throws(() => encodeCheckpoint(broken), /'array\/bad' has 2 values for shape \[3\]/);
  await assert.rejects(() => writeCheckpoint(out.session.run, broken));
  assert.deepEqual(await Deno.readFile(latest), good);
  assert.ok(!(await files(`${dir}/checkpoints`)).some((f) => f.includes(".tmp")), "no temp files");
  // 3) a successful write replaces latest, and the step file holds the same bytes
  await writeCheckpoint(out.session.run, { ...ckpt, step: 5 });
  assert.equal((await readCheckpoint(latest)).step, 5);
  assert.deepEqual(
    await Deno.readFile(latest),
    await Deno.readFile(`${dir}/checkpoints/step-000005.safetensors`),
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("resume errors: unsafe flags, missing, corrupt and incompatible checkpoints", async () => {
  const root = await tempDir();
  const dir = `${root}/run`;
  await trainToy([...BASE, "--out", dir, "--steps", "2"]);
  const usage = async (argv: string[], pattern: RegExp) =>
    await assert.rejects(() => trainToy(argv), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  await usage(
    ["--resume", dir, "--lr", "0.1"],
    /--lr cannot change when resuming \(the run uses 0.05\); flags allowed with --resume: --backend, --quiet, --steps, --logEvery, --sampleEvery, --checkpointEvery/,
  );
  await usage(["--resume", dir, "--seed", "4"], /--seed cannot be given with --resume/);
  await usage(["--resume", dir, "--preset", "paper"], /--preset cannot be given with --resume/);
  await assert.rejects(() => trainToy(["--resume", `${root}/nope`]), /no such run folder/);

  const latest = `${dir}/checkpoints/latest.safetensors`;
  const good = await Deno.readFile(latest);
  // truncated file
  await Deno.writeFile(latest, good.subarray(0, good.length - 10));
  await assert.rejects(() => trainToy(["--resume", dir, "--quiet"]), (e: unknown) => {
    assert.ok(e instanceof CheckpointError);
    assert.match(e.message, /corrupt or truncated.*older checkpoints may be in/s);
    return true;
  });
  // another format version
  const ckpt = decodeCheckpoint(good, latest);
  const v2 = encodeCheckpoint({ ...ckpt, version: 2 });
  await Deno.writeFile(latest, v2);
  await assert.rejects(
    () => trainToy(["--resume", dir, "--quiet"]),
    /checkpoint format version 2, but this version of eyegan reads version 1 \(written by a newer/,
  );
  // resume from an explicit step file still works
  const fromStep = await trainToy([
    "--resume",
    `${dir}/checkpoints/step-000002.safetensors`,
    "--quiet",
    "--steps",
    "3",
  ]);
  assert.equal(fromStep?.result.step, 3);
  // missing checkpoint
  await Deno.remove(`${dir}/checkpoints`, { recursive: true });
  await assert.rejects(
    () => trainToy(["--resume", dir, "--quiet"]),
    /no checkpoint to resume from \(the run stopped before its first checkpoint\)/,
  );
  // network shapes that do not match, and a missing network: nothing is changed
  const G = buildToy({ ...TOY.defaults, net: { hidden: 3 } }, 1);
  const w0 = await G.params.getWeights();
  await assert.rejects(
    () => restoreCheckpoint(ckpt, { networks: { G }, optimizers: { G: tf.train.adam(0.1) } }),
    /network 'G' does not match the checkpoint \(was the config changed\?\): 'conv1\/kernel' is \[3,3,1,2\] in the checkpoint, \[3,3,1,3\] now/,
  );
  assert.deepEqual(await G.params.getWeights(), w0);
  await assert.rejects(
    () => restoreCheckpoint(ckpt, { networks: { F: G }, optimizers: {} }),
    /networks do not match: the checkpoint has \[G\], the method built \[F\]/,
  );
  G.dispose();
  await Deno.remove(root, { recursive: true });
});

/** config.json, env.json, metrics.jsonl and every file under checkpoints/, byte for byte. */
async function snapshot(dir: string): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (const f of ["config.json", "env.json", "metrics.jsonl"]) {
    out[f] = await Deno.readFile(`${dir}/${f}`);
  }
  const walk = async (sub: string) => {
    for await (const e of Deno.readDir(`${dir}/${sub}`)) {
      if (e.isDirectory) await walk(`${sub}/${e.name}`);
      else out[`${sub}/${e.name}`] = await Deno.readFile(`${dir}/${sub}/${e.name}`);
    }
  };
  await walk("checkpoints");
  return out;
}

Deno.test("a resume that fails (shape mismatch, missing state) leaves the run folder byte-identical", async () => {
  const root = await tempDir();
  try {
    const dir = `${root}/run`;
    await trainToy([...BASE, "--out", dir, "--steps", "4", "--checkpointEvery", "2"]);
    const step2 = `${dir}/checkpoints/step-000002.safetensors`;
    const ckpt = await readCheckpoint(step2);
    const noState = `${dir}/checkpoints/no-state.safetensors`;
    await Deno.writeFile(noState, encodeCheckpoint({ ...ckpt, state: null }));
    const noBuffer = `${dir}/checkpoints/no-buffer.safetensors`;
    await Deno.writeFile(noBuffer, encodeCheckpoint({ ...ckpt, arrays: {} }));
    const before = await snapshot(dir);
    // from step 2 with --steps 6: committed, this would rewrite config.json (steps), add a
    // resume to env.json, drop metrics lines 3 and 4, and move step 4 and latest aside
    const attempts: [string, ToyOptions, RegExp][] = [
      [step2, { hidden: 3 }, /network 'G' does not match the checkpoint/],
      [noState, {}, /no-state\.safetensors: state null lacks epoch and offset/],
      [noBuffer, {}, /no-buffer\.safetensors: array 'buffer' is missing/],
    ];
    for (const [file, options, pattern] of attempts) {
      await assert.rejects(
        () => trainToy(["--resume", file, "--steps", "6", "--quiet"], options),
        (e: unknown) => {
          assert.ok(e instanceof CheckpointError, String(e));
          assert.match(e.message, pattern);
          return true;
        },
      );
      assert.deepEqual(await snapshot(dir), before, `after ${file}`);
    }
    // the same resume with a fitting network goes through, and only then changes the folder
    const ok = await trainToy(["--resume", step2, "--steps", "6", "--quiet"]);
    assert.equal(ok?.result.step, 6);
    const env = JSON.parse(await Deno.readTextFile(`${dir}/env.json`));
    assert.deepEqual(env.resumes.map((r: { step: number }) => r.step), [2]);
    assert.deepEqual((await readMetrics(`${dir}/metrics.jsonl`)).map((m) => m.step), [
      1,
      2,
      3,
      4,
      5,
      6,
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("resume from an older checkpoint: later ones move to checkpoints/abandoned-*/, pruning keeps the new ones", async () => {
  const root = await tempDir();
  try {
    await trainToy([...BASE, "--out", `${root}/straight`, "--steps", "5"]);
    const dir = `${root}/run`;
    await trainToy([...BASE, "--out", dir, "--steps", "5", "--checkpointEvery", "1"]);
    const ckpts = `${dir}/checkpoints`;
    const old = {
      latest: await Deno.readFile(`${ckpts}/latest.safetensors`),
      step4: await Deno.readFile(`${ckpts}/step-000004.safetensors`),
    };
    const resumed = await trainToy(
      ["--resume", `${ckpts}/step-000002.safetensors`, "--quiet"],
      { keepCheckpoints: 2 },
    );
    assert.equal(resumed?.result.step, 5);
    const names = await files(ckpts);
    const abandoned = names.filter((n) => n.startsWith("abandoned-"));
    assert.equal(abandoned.length, 1, names.join(", "));
    assert.match(abandoned[0], /^abandoned-\d{8}-\d{6}$/);
    assert.match(
      resumed!.messages.join("\n"),
      new RegExp(
        `resuming from step 2, before the run's newest checkpoints: moved ` +
          `step-000003\\.safetensors, step-000004\\.safetensors, step-000005\\.safetensors, ` +
          `latest\\.safetensors to ${ckpts}/${abandoned[0]}/ \\(kept, not deleted\\)`,
      ),
    );
    // the steps trained again are kept (2 and 3 pruned by keepCheckpoints 2), the old ones moved
    assert.deepEqual(names, [
      abandoned[0],
      "latest.safetensors",
      "step-000004.safetensors",
      "step-000005.safetensors",
    ]);
    const moved = `${ckpts}/${abandoned[0]}`;
    assert.deepEqual(await files(moved), [
      "latest.safetensors",
      "step-000003.safetensors",
      "step-000004.safetensors",
      "step-000005.safetensors",
    ]);
    assert.deepEqual(await Deno.readFile(`${moved}/latest.safetensors`), old.latest);
    assert.deepEqual(await Deno.readFile(`${moved}/step-000004.safetensors`), old.step4);
    assert.equal((await readCheckpoint(`${ckpts}/latest.safetensors`)).step, 5);
    assert.deepEqual(await losses(dir), await losses(`${root}/straight`));
    // resuming from the newest checkpoint moves nothing
    const more = await trainToy(["--resume", dir, "--steps", "6", "--quiet"], {
      keepCheckpoints: 2,
    });
    assert.doesNotMatch(more!.messages.join("\n"), /abandoned/);
    assert.deepEqual(await files(ckpts), [
      abandoned[0],
      "latest.safetensors",
      "step-000005.safetensors",
      "step-000006.safetensors",
    ]);
    // writeCheckpoint itself never prunes the file it wrote, nor files of later steps
    const ckpt = await readCheckpoint(`${ckpts}/latest.safetensors`);
    await writeCheckpoint(more!.session.run, { ...ckpt, step: 4 }, { keepLast: 1 });
    assert.deepEqual(await files(ckpts), [
      abandoned[0],
      "latest.safetensors",
      "step-000004.safetensors",
      "step-000005.safetensors",
      "step-000006.safetensors",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("progress bar: rate, ETA and the main losses; the step count when resuming", async () => {
  const root = await tempDir();
  const s = await startRun(TOY, [...BASE, "--out", `${root}/run`], { print: () => {} });
  assert.ok(s);
  const lines: string[] = [];
  const sink = {
    writeSync: (b: Uint8Array) => (lines.push(new TextDecoder().decode(b)), b.length),
    isTerminal: () => false,
  };
  const common = {
    run: s.run,
    totalSteps: 6,
    save: () => ({ networks: {} }),
    step: (i: number) => ({ loss_G: 1 / (i + 1), loss_D: 0.5, other: 1, more: 2, hidden: 3 }),
    sink,
    print: () => {},
  };
  await runTraining({ ...common, show: ["loss_G", "loss_D"] });
  const last = lines.at(-1)!;
  assert.match(
    last,
    /^toy +\[#+\] +6\/6 +100% +[\d.]+ step\/s +in \d+:\d\d +loss_G=0\.1667 +loss_D=0\.5000\n$/,
  );
  lines.length = 0;
  await runTraining({ ...common, startStep: 4 });
  assert.match(
    lines.at(-1)!,
    /^toy +\[#+\] +2\/2 .* step=6\/6 +loss_G=0\.1667 +loss_D=0\.5000 +other=1 +more=2\n$/,
  );
  await Deno.remove(root, { recursive: true });
});
