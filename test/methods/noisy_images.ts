/**
 * Test inputs shared by the method tests: images of a constant level plus seeded uniform noise.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** Image size of {@link noisyImages}. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/** `n` images of constant value `level` plus uniform noise of half-width `noise`, in [-1, 1]. */
export function noisyImages(
  n: number,
  level: number,
  seed: number,
  options: { shape: ImageShape; noise: number },
): tf.Tensor4D {
  const { shape, noise } = options;
  return tf.tidy(() =>
    tf.clipByValue(
      tf.add(
        tf.randomUniform(
          [n, shape.height, shape.width, shape.channels],
          -noise,
          noise,
          "float32",
          seed,
        ),
        level,
      ),
      -1,
      1,
    ) as tf.Tensor4D
  );
}
