/**
 * Small helpers of the SimGAN steps: one optimiser update that also returns side values, and
 * the finiteness check of reported losses.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** What the loss function of {@link updateWithValues} returns. */
export interface LossWithValues {
  /** The scalar to minimise. */
  loss: tf.Scalar;
  /** Other scalars to report (computed in the same forward pass). */
  values: tf.Scalar[];
}

/**
 * One `optimizer.minimize` step over `varList` that returns [loss, ...values] as plain
 * numbers. Every tensor it creates is released, whatever happens.
 */
export async function updateWithValues(
  optimizer: tf.Optimizer,
  varList: tf.Variable[],
  f: () => LossWithValues,
): Promise<number[]> {
  let kept: tf.Scalar[] = [];
  let cost: tf.Scalar | null = null;
  let stacked: tf.Tensor | undefined;
  try {
    cost = optimizer.minimize(
      () => {
        const { loss, values } = f();
        // values outlive minimize's scope: keep them, released in `finally`
        kept = values.map((v) => tf.keep(v));
        return loss;
      },
      true,
      varList,
    );
    stacked = tf.tidy(() => tf.stack([cost!, ...kept]));
    return Array.from(await stacked.data());
  } finally {
    tf.dispose([...kept, ...(cost ? [cost] : []), ...(stacked ? [stacked] : [])]);
  }
}

/** Reads scalars computed in a `tf.tidy` as numbers, releasing them. */
export async function readScalars(f: () => tf.Scalar[]): Promise<number[]> {
  const stacked = tf.tidy(() => tf.stack(f()));
  try {
    return Array.from(await stacked.data());
  } finally {
    stacked.dispose();
  }
}

/**
 * Throws a clear error if any value is NaN or infinite.
 *
 * @param where e.g. `refiner step 12`.
 * @param method the method's name for the message (default `SimGAN`).
 */
export function assertFinite(
  values: Record<string, number>,
  where: string,
  method = "SimGAN",
): void {
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isFinite(value)) {
      throw new Error(
        `${method} ${where}: ${name} is ${value}; the update was already applied, so this model ` +
          `is unusable: resume from the last checkpoint with a lower optimizer.lr or lambda, ` +
          `or another seed`,
      );
    }
  }
}
