/**
 * The project's ONE gaze convention, and conversions from the data sets' own conventions.
 *
 * ## Convention
 *
 * Gaze is the direction from the eye towards what it looks at, as a unit 3-D vector in the
 * **camera frame of OpenCV and MPIIGaze "Normalized"**: `x` points to the right of the image,
 * `y` down the image, `z` forward, away from the camera into the scene. An eye that looks
 * straight into the camera has gaze `(0, 0, -1)`.
 *
 * The label is the pair `(pitch, yaw)` in radians:
 *
 * - `pitch = asin(-y)`: positive when the eye looks UP (towards the top of the image);
 * - `yaw = atan2(-x, -z)`: positive when the eye looks towards the LEFT of the image, which is
 *   the subject's own right (camera and subject face each other).
 *
 * and back:  `x = -cos(pitch) sin(yaw)`, `y = -sin(pitch)`, `z = -cos(pitch) cos(yaw)`.
 *
 * This is the convention of MPIIGaze and of GazeML (so published pitch/yaw numbers compare
 * directly). In a rendered or real eye image, **positive yaw moves the pupil to the LEFT of the
 * image and positive pitch moves it UP**. Mirroring an image left-right negates yaw and keeps
 * pitch ({@link flipHorizontal}).
 *
 * `(pitch, yaw) = (0, 0)` is looking into the camera; the pair is unique for every direction
 * with `z < 0` (the eye faces the camera), which is the only case that occurs in eye images.
 *
 * Angular error between two gazes is `acos(clip(a . b / (|a| |b|), -1, 1))` in degrees.
 *
 * @module
 */

/** A gaze label: radians, in the convention of this module. */
export interface PitchYaw {
  /** Up positive, radians. */
  pitch: number;
  /** Towards the image's left (the subject's right) positive, radians. */
  yaw: number;
}

/** A 3-D vector `[x, y, z]`. */
export type Vec3 = [number, number, number];

/** Degrees to radians. */
export const DEG = Math.PI / 180;

/**
 * The unit gaze vector in the camera frame (x right, y down, z forward) for a pitch/yaw label:
 * `(-cos p sin y, -sin p, -cos p cos y)`.
 */
export function pitchYawToVector(pitch: number, yaw: number): Vec3 {
  const cp = Math.cos(pitch);
  return [-cp * Math.sin(yaw), -Math.sin(pitch), -cp * Math.cos(yaw)];
}

/**
 * The pitch/yaw label of a gaze vector in the camera frame (any length > 0):
 * `pitch = asin(-y / |v|)`, `yaw = atan2(-x, -z)`.
 *
 * @throws {RangeError} for a zero or non-finite vector.
 */
export function vectorToPitchYaw(x: number, y: number, z: number): PitchYaw {
  const n = Math.hypot(x, y, z);
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new RangeError(`vectorToPitchYaw: need a non-zero finite vector, got (${x}, ${y}, ${z})`);
  }
  const sy = Math.max(-1, Math.min(1, -y / n));
  return { pitch: Math.asin(sy), yaw: Math.atan2(-x, -z) };
}

/**
 * Converts an MPIIGaze "Normalized" `gaze` row `(x, y, z)` (camera frame, x right, y down,
 * z forward; the eye looks at -z) to the project's label: `pitch = asin(-y)`,
 * `yaw = atan2(-x, -z)`. MPIIGaze's frame is the project's frame, so this is
 * {@link vectorToPitchYaw} with a name that says where the numbers come from.
 */
export function fromMpiiGazeVector(x: number, y: number, z: number): PitchYaw {
  return vectorToPitchYaw(x, y, z);
}

/**
 * Converts a UnityEyes `eye_details.look_vec` `(x, y, z)` to the project's label.
 *
 * UnityEyes writes the gaze in Unity's camera frame: x right, y UP, z forward (the eye looks at
 * -z). Flipping y gives the project's frame, so `pitch = asin(y)`, `yaw = atan2(-x, -z)`; this
 * equals GazeML's conversion (negate x, then `asin(y)`, `atan2(x, z)`, then fold the yaw back
 * into (-pi/2, pi/2)).
 *
 * Example: look_vec `(0.3404, 0.3879, -0.8566)` (gaze up and to the image's right) gives
 * pitch +22.8 deg, yaw -21.7 deg.
 */
export function fromUnityEyesLookVec(x: number, y: number, z: number): PitchYaw {
  return vectorToPitchYaw(x, -y, z);
}

/** The inverse of {@link fromUnityEyesLookVec}: the unit UnityEyes `look_vec` of a label. */
export function toUnityEyesLookVec(pitch: number, yaw: number): Vec3 {
  const [x, y, z] = pitchYawToVector(pitch, yaw);
  return [x, -y, z];
}

/** The label of the left-right mirrored image: `(pitch, -yaw)`. */
export function flipHorizontal(gaze: PitchYaw): PitchYaw {
  return { pitch: gaze.pitch, yaw: -gaze.yaw };
}

/**
 * Angle in degrees between two 3-D vectors: `acos(clip(a.b / (|a||b|), -1, 1)) * 180 / pi`.
 * Returns NaN when either vector is zero.
 */
export function angleBetweenDeg(a: Vec3, b: Vec3): number {
  const dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  const n = Math.hypot(a[0], a[1], a[2]) * Math.hypot(b[0], b[1], b[2]);
  if (!(n > 0)) return NaN;
  return Math.acos(Math.max(-1, Math.min(1, dot / n))) / DEG;
}

/** Angular error in degrees between two pitch/yaw labels (3-D angle between their vectors). */
export function angularErrorDeg(a: PitchYaw, b: PitchYaw): number {
  return angleBetweenDeg(pitchYawToVector(a.pitch, a.yaw), pitchYawToVector(b.pitch, b.yaw));
}

/**
 * Angular errors in degrees for batches of labels stored as `[pitch0, yaw0, pitch1, yaw1, ...]`
 * (the layout of `gaze.npy`). Both arrays must have the same even length.
 */
export function angularErrorsDeg(
  predicted: ArrayLike<number>,
  truth: ArrayLike<number>,
): Float64Array {
  if (predicted.length !== truth.length || predicted.length % 2 !== 0) {
    throw new RangeError(
      `angularErrorsDeg: need equal even lengths, got ${predicted.length} and ${truth.length}`,
    );
  }
  const out = new Float64Array(predicted.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = angularErrorDeg(
      { pitch: predicted[2 * i], yaw: predicted[2 * i + 1] },
      { pitch: truth[2 * i], yaw: truth[2 * i + 1] },
    );
  }
  return out;
}
