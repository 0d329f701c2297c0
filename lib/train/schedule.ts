/**
 * Learning-rate schedules as pure functions of the step, and a helper that sets an optimiser's
 * learning rate before each update.
 *
 * CycleGAN's schedule (Zhu et al. 2017, sec. 7.1; `--n_epochs 100 --n_epochs_decay 100` in the
 * canonical code): the base rate for the first `constantSteps`, then a linear decay that reaches
 * 0 at `totalSteps`:
 *
 * ```text
 *   lr(s) = base                                   s <  C
 *   lr(s) = base * (T - s) / (T - C)               C <= s < T
 *   lr(s) = 0                                      s >= T
 * ```
 *
 * with C = `constantSteps` and T = `totalSteps` (steps are 0-based). The canonical code decays
 * per epoch with `1 - max(0, e - C) / (T - C + 1)` and never quite reaches 0; we decay per step
 * and reach 0 exactly at T, the paper's "linearly decay the rate to zero".
 *
 * Because the rate is a function of the step alone, a run resumed from a checkpoint at step s
 * sets the same rate as an uninterrupted one: nothing about the schedule needs saving.
 *
 * A training task whose `--steps` run past T (with a decay phase) would spend the extra steps at
 * rate 0, changing nothing; {@link checkScheduleCoversSteps} refuses such a command line.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { linearDecayLr, setLearningRate } from "./schedule.ts";
 * const schedule = { base: 2e-4, constantSteps: 100, totalSteps: 200 };
 * const opt = tf.train.adam(schedule.base, 0.5);
 * for (const step of [0, 99, 100, 150, 199, 200]) {
 *   setLearningRate(opt, linearDecayLr(step, schedule)); // then opt.minimize(...)
 * }
 * console.log(linearDecayLr(150, schedule)); // 1e-4
 * opt.dispose();
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { UsageError } from "../util/cli.ts";

/** A constant-then-linear-decay schedule; see the module documentation. */
export interface LinearDecaySchedule {
  /** The rate of the constant phase. */
  base: number;
  /** Steps at the base rate (C). */
  constantSteps: number;
  /** Step at which the rate reaches 0 (T >= C); T = C means no decay (constant forever). */
  totalSteps: number;
}

function checkSchedule(s: LinearDecaySchedule): void {
  const { base, constantSteps: c, totalSteps: t } = s;
  if (!Number.isFinite(base) || base < 0) {
    throw new RangeError(`lr schedule: base must be a finite number >= 0, got ${base}`);
  }
  if (!Number.isInteger(c) || c < 0) {
    throw new RangeError(`lr schedule: constantSteps must be an integer >= 0, got ${c}`);
  }
  if (!Number.isInteger(t) || t < c) {
    throw new RangeError(`lr schedule: totalSteps must be an integer >= constantSteps, got ${t}`);
  }
}

/**
 * The learning rate at (0-based) `step`: `base` before `constantSteps`, then linear to 0 at
 * `totalSteps`, 0 afterwards. With `totalSteps === constantSteps` the rate stays `base` forever
 * (no decay phase).
 *
 * @throws {RangeError} for a negative or fractional step, or an invalid schedule.
 */
export function linearDecayLr(step: number, schedule: LinearDecaySchedule): number {
  checkSchedule(schedule);
  if (!Number.isInteger(step) || step < 0) {
    throw new RangeError(`lr schedule: step must be an integer >= 0, got ${step}`);
  }
  const { base, constantSteps: c, totalSteps: t } = schedule;
  // no decay phase configured: constant
  if (t === c || step < c) return base;
  if (step >= t) return 0;
  // base * (T - s) / (T - C)
  return base * (t - step) / (t - c);
}

/** An optimiser with a learning rate we can read and change (every tfjs optimiser has one). */
type WithRate = { learningRate?: unknown; setLearningRate?: (lr: number) => void };

/**
 * The optimiser's current learning rate.
 *
 * @throws if the optimiser has no numeric `learningRate`.
 */
export function getLearningRate(optimizer: tf.Optimizer): number {
  const lr = (optimizer as unknown as WithRate).learningRate;
  if (typeof lr !== "number") {
    throw new TypeError(`${optimizer.getClassName()} has no numeric learningRate`);
  }
  return lr;
}

/**
 * Sets the learning rate the optimiser's next `minimize` / `applyGradients` uses.
 *
 * tfjs declares `learningRate` protected but reads the field on every update (`AdamOptimizer`,
 * `AdamaxOptimizer`, `RMSPropOptimizer`, ...: `value - learningRate * ...`), so assigning it
 * is enough; `SGDOptimizer` (and `MomentumOptimizer`) cache `-lr` as a tensor and are changed
 * through their own `setLearningRate`, which this calls when present. Adam's moments and
 * `beta^t` products are untouched, and `getConfig()` reports the new rate.
 *
 * @throws {RangeError} for a negative or non-finite rate; {@link TypeError} for an optimiser
 *   without a numeric `learningRate`.
 */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  if (!Number.isFinite(lr) || lr < 0) {
    throw new RangeError(`learning rate must be a finite number >= 0, got ${lr}`);
  }
  const o = optimizer as unknown as WithRate;
  getLearningRate(optimizer); // throws for an optimiser without one
  if (typeof o.setLearningRate === "function") o.setLearningRate(lr);
  else o.learningRate = lr;
}

/**
 * Sets every optimiser's rate to `linearDecayLr(step, schedule)` and returns that rate (for
 * logging as `lr`).
 */
export function applyLrSchedule(
  optimizers: readonly tf.Optimizer[],
  step: number,
  schedule: LinearDecaySchedule,
): number {
  const lr = linearDecayLr(step, schedule);
  for (const o of optimizers) setLearningRate(o, lr);
  return lr;
}

/** A task's schedule settings: steps at the base rate, then steps of linear decay to 0. */
export interface StepSchedule {
  constantSteps: number;
  decaySteps: number;
}

/**
 * Refuses a run whose `steps` go past the end of its schedule: with a decay phase
 * (`decaySteps > 0`) the rate is 0 from step `constantSteps + decaySteps` on, so the steps after
 * it would train at learning rate 0 and change nothing. Call it before anything is written, for
 * a new run and for `--resume RUN --steps N` alike.
 *
 * @param options `resume`: the command resumes a run (the message says the schedule may change).
 * @throws {UsageError} naming the steps that would train at rate 0 and the flags that raise the
 *   schedule to cover them (tasks exit with code 2).
 */
export function checkScheduleCoversSteps(
  steps: number,
  schedule: StepSchedule,
  options: { resume?: boolean } = {},
): void {
  const { constantSteps: c, decaySteps: d } = schedule;
  const total = c + d;
  if (d <= 0 || steps <= total) return;
  throw new UsageError(
    `--steps ${steps} goes past the learning-rate schedule: the rate is constant for ` +
      `--schedule.constantSteps ${c} steps, then decays to 0 over --schedule.decaySteps ${d}, ` +
      `reaching 0 at step ${total}; ${
        steps === total + 1 ? `step ${steps}` : `steps ${total + 1}-${steps}`
      } would run at learning rate 0 ` +
      `and change nothing. Raise the schedule to cover them, e.g. add ` +
      `--schedule.decaySteps ${steps - c} (a longer decay ending at step ${steps}) or ` +
      `--schedule.constantSteps ${steps - d} (the same decay, moved to the end)` +
      (options.resume
        ? `; with --resume the schedule flags may change (steps already trained keep their ` +
          `rates, the remaining ones follow the new schedule)`
        : "") +
      `, or train --steps ${total}`,
  );
}
