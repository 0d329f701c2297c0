/**
 * What the GAN methods' configs share (CycleGAN, GazeGAN, pix2pix): Adam of the generators and of
 * the discriminators, the constant-then-linear-decay learning-rate schedule (`schedule.ts`), their
 * paper defaults, their fields as declared to the experiment harness, and the checks of a merged
 * config with their error messages.
 *
 * @module
 */

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
