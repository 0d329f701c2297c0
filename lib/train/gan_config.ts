/**
 * What the GAN methods' configs share (CycleGAN, GazeGAN, pix2pix): Adam of the generators and of
 * the discriminators, the constant-then-linear-decay learning-rate schedule (`schedule.ts`), their
 * paper defaults, their fields as declared to the experiment harness, the checks of a merged
 * config with their error messages, and the check that the PatchGAN of
 * `--discriminator.receptiveField` fits the data's image size ({@link checkPatchganFits}).
 *
 * @module
 */
import {
  PATCHGAN_RECEPTIVE_FIELDS,
  patchganFittingFields,
  patchganMinSize,
} from "../nn/networks/patchgan_discriminator.ts";
import { SetupError } from "../util/cli.ts";

/** The optimiser and schedule settings of a GAN method's config. */
export interface GanOptimizerConfig {
  /** Adam of the generators and of the discriminators (paper lr 2e-4, beta1 0.5). */
  optimizer: { lr: number; beta1: number; beta2: number };
  /** Steps at the base rate, then steps of linear decay to 0 (0 = constant forever). */
  schedule: { constantSteps: number; decaySteps: number };
}

/**
 * The papers' optimiser and schedule (CycleGAN and pix2pix: Adam lr 2e-4, beta1 0.5; 100 + 100
 * epochs, here 100k + 100k steps), as fresh objects.
 */
export function paperGanOptimizer(): GanOptimizerConfig {
  return {
    optimizer: { lr: 2e-4, beta1: 0.5, beta2: 0.999 },
    schedule: { constantSteps: 100_000, decaySteps: 100_000 },
  };
}

/** The fields of {@link GanOptimizerConfig} in the harness's `FieldInfo` shape. */
export const GAN_OPTIMIZER_FIELDS = {
  "optimizer.lr": { doc: "Adam learning rate (paper 2e-4)", min: 0 },
  "optimizer.beta1": { doc: "Adam beta1 in [0, 1) (paper 0.5)", min: 0, lessThan: 1 },
  "optimizer.beta2": { doc: "Adam beta2 in [0, 1)", min: 0, lessThan: 1 },
  "schedule.constantSteps": {
    doc: "steps at the base rate (may change with --resume, to extend a run)",
    integer: true,
    min: 0,
    resumable: true,
  },
  "schedule.decaySteps": {
    doc: "then steps of linear decay to 0 (0 = none); --steps may not go past the two",
    integer: true,
    min: 0,
    resumable: true,
  },
} as const;

/** The checks of a merged config, each throwing `Error("<method>: <what is wrong>")`. */
export interface ConfigChecks {
  /** Throws with `msg`. */
  fail(msg: string): never;
  /** `v` is an integer >= `min`. */
  int(path: string, v: number, min: number): void;
  /** `v` is a finite number >= 0. */
  nonNegative(path: string, v: number): void;
  /** `v` is one of `choices`. */
  oneOf(path: string, v: string, choices: readonly string[]): void;
  /** `v` is a boolean. */
  bool(path: string, v: boolean): void;
}

/** {@link ConfigChecks} whose errors `method` names. */
export function configChecks(method: string): ConfigChecks {
  const fail = (msg: string): never => {
    throw new Error(`${method}: ${msg}`);
  };
  return {
    fail,
    int: (path, v, min) => {
      if (!Number.isInteger(v) || v < min) fail(`${path} must be an integer >= ${min}, got ${v}`);
    },
    nonNegative: (path, v) => {
      if (!Number.isFinite(v) || v < 0) fail(`${path} must be a finite number >= 0, got ${v}`);
    },
    oneOf: (path, v, choices) => {
      if (!choices.includes(v)) fail(`${path} must be one of ${choices.join(", ")}, got '${v}'`);
    },
    bool: (path, v) => {
      if (typeof v !== "boolean") fail(`${path} must be true or false, got ${JSON.stringify(v)}`);
    },
  };
}

/** Checks the optimiser and schedule settings of a merged config. */
export function validateGanOptimizer(c: GanOptimizerConfig, check: ConfigChecks): void {
  check.nonNegative("optimizer.lr", c.optimizer.lr);
  for (const k of ["beta1", "beta2"] as const) {
    const v = c.optimizer[k];
    if (!(v >= 0 && v < 1)) check.fail(`optimizer.${k} must be in [0, 1), got ${v}`);
  }
  check.int("schedule.constantSteps", c.schedule.constantSteps, 0);
  check.int("schedule.decaySteps", c.schedule.decaySteps, 0);
}

/** "1, 16, 34 or 70". */
function orList(items: readonly (string | number)[]): string {
  return items.length < 2
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/**
 * Refuses a `--discriminator.receptiveField` whose PatchGAN cannot take the data's images (its
 * 4x4 convolutions would shrink them to nothing; `patchganMinSize`), before a run folder is made.
 *
 * @param size the images' height and width.
 * @param data names the images in the message, e.g. `--paired data/generated/...`.
 * @throws {SetupError} naming the flag, the image size, the smallest size the PatchGAN takes and
 *   the receptive fields that fit (tasks exit with code 2).
 */
export function checkPatchganFits(
  receptiveField: number,
  size: { height: number; width: number },
  data: string,
): void {
  const flag = "--discriminator.receptiveField";
  if (PATCHGAN_RECEPTIVE_FIELDS[receptiveField] === undefined) {
    throw new SetupError(
      `${flag} must be one of ${Object.keys(PATCHGAN_RECEPTIVE_FIELDS).join(", ")}, got ` +
        `${receptiveField}`,
    );
  }
  const { height, width } = size;
  const fits = patchganFittingFields(height, width);
  if (fits.includes(receptiveField)) return;
  const min = patchganMinSize(receptiveField);
  throw new SetupError(
    `${flag} ${receptiveField} does not fit the ${height}x${width} images of ${data}: the ` +
      `${receptiveField}x${receptiveField} PatchGAN takes images of at least ${min}x${min} ` +
      `(its 4x4 convolutions shrink smaller ones to nothing); use ${flag} ${orList(fits)}, ` +
      `which fit ${height}x${width}`,
  );
}
