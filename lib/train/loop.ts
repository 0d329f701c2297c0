/**
 * The training loop every method runs: steps, a progress bar, `metrics.jsonl`, sample grids,
 * checkpoints, a stop on NaN/Inf losses, and Ctrl-C that saves before leaving.
 *
 * Step numbering: `step(i)` receives the 0-based index of the step to do; after it, `i + 1`
 * steps are complete, and `i + 1` is the number used everywhere else (metrics `step`, sample
 * and checkpoint file names, the checkpoint's `step`, the next run's `startStep`).
 *
 * - Resume: a resume not yet recorded in the run folder (`RunSession.commitResume`) is recorded
 *   first, so call `runTraining` only after restoring the checkpoint.
 * - Logging: every `logEvery` steps and at the last, one line `{ step, elapsed_s, <values>,
 *   tensors }` is appended to `metrics.jsonl` (`tensors` = `tf.memory().numTensors`, to spot
 *   leaks).
 * - Samples: `onSample(step)` every `sampleEvery` steps and at the last (the method calls
 *   `writeSampleGrid`).
 * - Checkpoints: `save()` every `checkpointEvery` steps, at the last step and on Ctrl-C.
 * - NaN/Inf: every value `step` returns must be finite; otherwise the loop stops with a
 *   {@link NonFiniteLossError} naming the step and the value, and saves nothing (the last good
 *   checkpoint stays `latest`).
 * - Ctrl-C (SIGINT) or `signal` aborted: the current step finishes, a checkpoint is written, the
 *   resume command is printed, and the result has `exitCode` 130. A second Ctrl-C exits at once
 *   (checkpoint files are written atomically, so the last complete one stays valid).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { ProgressBar, type ProgressSink } from "../util/progress.ts";
import { captureCheckpoint, type CheckpointPayload, writeCheckpoint } from "./checkpoint.ts";
import { appendMetrics, commitResume, type MetricsRecord, type Run } from "./run.ts";

/** Values one step reports: losses and any other numbers to log. */
export type StepValues = Record<string, number>;

/** A loss (or other value) that is NaN or infinite; nothing was saved after it. */
export class NonFiniteLossError extends Error {
  constructor(
    /** The step (1-based, as in metrics) whose value is not finite. */
    readonly step: number,
    /** Name of the value. */
    readonly loss: string,
    /** The value. */
    readonly value: number,
    lastCheckpoint: string,
  ) {
    super(
      `step ${step}: ${loss} is ${value}; training stopped and nothing was saved after it ` +
        `(${lastCheckpoint}). Try a lower learning rate or another seed.`,
    );
    this.name = "NonFiniteLossError";
  }
}

/** Options of {@link runTraining}. */
export interface TrainingOptions {
  /** The run folder (metrics, samples, checkpoints). */
  run: Run;
  /** Steps in total (the config's `steps`). */
  totalSteps: number;
  /** Completed steps to start after (a checkpoint's `step`; default 0). */
  startStep?: number;
  /** Does step `i` (0-based) and returns its losses (plain numbers). */
  step: (i: number) => StepValues | Promise<StepValues>;
  /** What to save in a checkpoint (networks, optimisers, arrays, state) after the last step. */
  save: () => CheckpointPayload | Promise<CheckpointPayload>;
  /** Append to `metrics.jsonl` every N steps (default 10). */
  logEvery?: number;
  /** Call `onSample` every N steps (0: only at the end; default 0). */
  sampleEvery?: number;
  /** Checkpoint every N steps (0: only at the end and on Ctrl-C; default 0). */
  checkpointEvery?: number;
  /** Writes samples for a step (e.g. with `writeSampleGrid`). */
  onSample?: (step: number) => void | Promise<void>;
  /** Called with each record appended to `metrics.jsonl`. */
  onLog?: (record: MetricsRecord) => void | Promise<void>;
  /** Values shown on the progress bar (default: the first four the step returns). */
  show?: string[];
  /** No progress bar (the Ctrl-C and resume messages are still printed). */
  quiet?: boolean;
  /** Training seconds before `startStep` (a checkpoint's `elapsedSeconds`). */
  elapsedSeconds?: number;
  /** Keep only the newest N step checkpoints (default all). */
  keepCheckpoints?: number;
  /** Stops like Ctrl-C when aborted (notebooks, tests). */
  signal?: AbortSignal;
  /** Listen for SIGINT (default true). */
  catchSigint?: boolean;
  /** The command that resumes this run (default `deno task train-<method> --resume <dir>`). */
  resumeCommand?: string;
  /** Progress bar output (default stderr). */
  sink?: ProgressSink;
  /** Messages (default `console.error`). */
  print?: (message: string) => void;
}

/** How {@link runTraining} ended (a NaN/Inf loss throws instead). */
export interface TrainingResult {
  /** `completed`: all steps done; `interrupted`: Ctrl-C or `signal`, checkpoint written. */
  status: "completed" | "interrupted";
  /** Completed steps. */
  step: number;
  /** 0 when completed, 130 when interrupted: return it from the task's main. */
  exitCode: 0 | 130;
  /** Values of the last step (empty if no step ran). */
  last: StepValues;
  /** Training seconds in total (over all resumes). */
  elapsedSeconds: number;
}

const RESERVED = new Set(["step", "elapsed_s", "tensors"]);

function every(done: number, n: number | undefined, total: number): boolean {
  return done === total || (n !== undefined && n > 0 && done % n === 0);
}

/**
 * Runs steps `startStep .. totalSteps - 1` with logging, samples, checkpoints and Ctrl-C
 * handling. See the module documentation.
 *
 * @throws {NonFiniteLossError} when a step returns NaN or ±Infinity.
 * @example
 * ```ts ignore
 * const result = await runTraining({
 *   run, totalSteps: cfg.steps, startStep: restored?.step ?? 0,
 *   logEvery: cfg.logEvery, sampleEvery: cfg.sampleEvery, checkpointEvery: cfg.checkpointEvery,
 *   step: (i) => method.trainStep(i),            // { loss_R: 0.4, loss_D: 0.7 }
 *   save: () => ({ networks: { R, D }, optimizers: { R: optR, D: optD }, state: { epoch } }),
 *   onSample: (s) => writeSampleGrid(run, s, [synthetic, method.refine(synthetic)]),
 * });
 * return result.exitCode;
 * ```
 */
export async function runTraining(options: TrainingOptions): Promise<TrainingResult> {
  const { run, totalSteps } = options;
  const startStep = options.startStep ?? 0;
  const print = options.print ?? ((m: string) => console.error(m));
  const resume = options.resumeCommand ??
    `deno task train-${run.method} --resume ${run.paths.dir}`;
  // a resume the method has not recorded yet (see `RunSession.commitResume`): the checkpoint was
  // restored by now, so the run folder can change
  await commitResume(run);
  const elapsed0 = options.elapsedSeconds ?? 0;
  const t0 = performance.now();
  const elapsed = () => elapsed0 + (performance.now() - t0) / 1000;
  let done = startStep;
  let last: StepValues = {};
  let lastCheckpoint = startStep > 0 ? startStep : -1;
  const result = (status: TrainingResult["status"]): TrainingResult => ({
    status,
    step: done,
    exitCode: status === "completed" ? 0 : 130,
    last,
    elapsedSeconds: elapsed(),
  });
  if (startStep >= totalSteps) {
    print(
      `${run.method}: ${run.paths.dir} is already at step ${startStep} of ${totalSteps}; ` +
        `nothing to do (raise --steps to train longer)`,
    );
    return result("completed");
  }

  let stopRequested = false;
  const requestStop = () => {
    if (stopRequested) {
      print(`\nsecond Ctrl-C: exiting now; resume from the last checkpoint with: ${resume}`);
      Deno.exit(130);
    }
    stopRequested = true;
    print(`\nstopping after step ${done + 1} and saving a checkpoint (Ctrl-C again to quit now)`);
  };
  const onSigint = () => requestStop();
  let listening = false;
  if (options.catchSigint ?? true) {
    try {
      Deno.addSignalListener("SIGINT", onSigint);
      listening = true;
    } catch {
      // no signals here (e.g. some embedded runtimes): Ctrl-C ends the process as usual
    }
  }
  const onAbort = () => {
    stopRequested = true;
  };
  if (options.signal?.aborted) stopRequested = true;
  options.signal?.addEventListener("abort", onAbort);

  const bar = new ProgressBar(totalSteps - startStep, {
    label: run.method,
    unit: "step",
    quiet: options.quiet,
    sink: options.sink,
  });
  const checkpoint = async () => {
    const payload = await options.save();
    const ckpt = await captureCheckpoint(payload, {
      method: run.method,
      step: done,
      seed: run.seed,
      config: { preset: run.config.preset, values: run.config.values },
      elapsedSeconds: elapsed(),
    });
    await writeCheckpoint(run, ckpt, { keepLast: options.keepCheckpoints });
    lastCheckpoint = done;
  };

  try {
    while (done < totalSteps) {
      if (stopRequested && lastCheckpoint === done) break;
      if (!stopRequested) {
        const values = await options.step(done);
        for (const [name, value] of Object.entries(values)) {
          if (RESERVED.has(name)) throw new Error(`step values may not be called '${name}'`);
          if (typeof value !== "number" || !Number.isFinite(value)) {
            const saved = lastCheckpoint >= 0
              ? `the last good checkpoint, step ${lastCheckpoint}, is ${run.paths.latestCheckpoint}`
              : "no checkpoint was written yet";
            throw new NonFiniteLossError(done + 1, name, Number(value), saved);
          }
        }
        done += 1;
        last = values;
        if (every(done, options.logEvery ?? 10, totalSteps)) {
          const record: MetricsRecord = {
            step: done,
            elapsed_s: Math.round(elapsed() * 1000) / 1000,
            ...values,
            tensors: tf.memory().numTensors,
          };
          await appendMetrics(run, record);
          await options.onLog?.(record);
        }
        const keys = options.show ?? Object.keys(values).slice(0, 4);
        const fields: Record<string, string | number> = {};
        if (startStep > 0) fields.step = `${done}/${totalSteps}`;
        for (const k of keys) if (k in values) fields[k] = values[k];
        bar.update(done - startStep, fields);
        if (options.onSample && every(done, options.sampleEvery, totalSteps)) {
          await options.onSample(done);
        }
      }
      if (stopRequested || every(done, options.checkpointEvery, totalSteps)) {
        if (lastCheckpoint !== done) await checkpoint();
      }
      if (stopRequested) break;
    }
    bar.finish();
    if (done < totalSteps) {
      print(
        `${run.method}: interrupted at step ${done} of ${totalSteps}; checkpoint saved to ` +
          `${run.paths.latestCheckpoint}\nresume with: ${resume}`,
      );
      return result("interrupted");
    }
    return result("completed");
  } catch (e) {
    bar.finish();
    if (!(e instanceof NonFiniteLossError) && lastCheckpoint >= 0) {
      print(
        `${run.method}: failed during step ${done + 1}; the last checkpoint is step ` +
          `${lastCheckpoint}, resume with: ${resume}`,
      );
    }
    throw e;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    if (listening) Deno.removeSignalListener("SIGINT", onSigint);
  }
}
