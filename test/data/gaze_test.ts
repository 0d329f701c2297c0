import assert from "node:assert/strict";
import {
  angleBetweenDeg,
  angularErrorDeg,
  angularErrorsDeg,
  DEG,
  flipHorizontal,
  fromMpiiGazeVector,
  fromUnityEyesLookVec,
  pitchYawToVector,
  toUnityEyesLookVec,
  vectorToPitchYaw,
} from "../../lib/data/gaze.ts";
import { Rng } from "../../lib/util/random.ts";

const close = (a: number, b: number, tol = 1e-9, what = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${what} ${a} != ${b}`);

Deno.test("gaze: looking into the camera is (0, 0, -1); signs of pitch and yaw", () => {
  const v = pitchYawToVector(0, 0);
  close(v[0], 0);
  close(v[1], 0);
  close(v[2], -1);
  // Up: y (down the image) negative.
  assert.ok(pitchYawToVector(20 * DEG, 0)[1] < 0);
  // Positive yaw: towards the image's left, x negative.
  assert.ok(pitchYawToVector(0, 20 * DEG)[0] < 0);
});

Deno.test("gaze: vector <-> pitch/yaw round trips", () => {
  const rng = new Rng(5);
  for (let i = 0; i < 500; i++) {
    const pitch = rng.uniform(-80, 80) * DEG, yaw = rng.uniform(-170, 170) * DEG;
    const [x, y, z] = pitchYawToVector(pitch, yaw);
    close(Math.hypot(x, y, z), 1, 1e-12, "unit");
    const back = vectorToPitchYaw(3 * x, 3 * y, 3 * z); // any length
    close(back.pitch, pitch, 1e-9, "pitch");
    close(back.yaw, yaw, 1e-9, "yaw");
  }
  assert.throws(() => vectorToPitchYaw(0, 0, 0), RangeError);
});

Deno.test("gaze: MPIIGaze vectors, hand-computed (pitch = asin(-y), yaw = atan2(-x, -z))", () => {
  const s10 = Math.sin(10 * DEG), c10 = Math.cos(10 * DEG);
  let g = fromMpiiGazeVector(-s10, 0, -c10); // looks towards the image's left
  close(g.pitch, 0, 1e-12);
  close(g.yaw, 10 * DEG, 1e-12);
  g = fromMpiiGazeVector(0, -Math.sin(20 * DEG), -Math.cos(20 * DEG)); // looks up
  close(g.pitch, 20 * DEG, 1e-12);
  close(g.yaw, 0, 1e-12);
  // A typical MPIIGaze row, computed by hand: (-0.1, 0.2, -0.9747) -> pitch -11.537, yaw 5.858 deg.
  g = fromMpiiGazeVector(-0.1, 0.2, -0.97468);
  close(g.pitch / DEG, -11.537, 1e-3);
  close(g.yaw / DEG, 5.858, 1e-3);
});

Deno.test("gaze: UnityEyes look_vec (y up), the sample file's vector", () => {
  // unityeyes-v1-sample/1.json: look_vec (0.3404, 0.3879, -0.8566): up and to the image's right.
  const g = fromUnityEyesLookVec(0.3404, 0.3879, -0.8566);
  close(g.pitch / DEG, 22.8227, 1e-3);
  close(g.yaw / DEG, -21.6721, 1e-3);
  // GazeML's recipe gives the same numbers: negate x, asin(y), atan2(x, z) folded into (-90, 90).
  const [x, y, z] = [-0.3404, 0.3879, -0.8566];
  const n = Math.hypot(x, y, z);
  let yaw = Math.atan2(x / n, z / n);
  yaw = yaw > 0 ? Math.PI - yaw : -(Math.PI + yaw);
  close(g.pitch, Math.asin(y / n), 1e-12);
  close(g.yaw, yaw, 1e-12);
  // Inverse.
  const v = toUnityEyesLookVec(g.pitch, g.yaw);
  close(v[0], 0.3404 / n, 1e-9);
  close(v[1], 0.3879 / n, 1e-9);
  close(v[2], -0.8566 / n, 1e-9);
});

Deno.test("gaze: horizontal flip negates yaw, like mirroring x of the vector", () => {
  const g = { pitch: 0.2, yaw: 0.3 };
  assert.deepEqual(flipHorizontal(g), { pitch: 0.2, yaw: -0.3 });
  const [x, y, z] = pitchYawToVector(g.pitch, g.yaw);
  const f = vectorToPitchYaw(-x, y, z);
  close(f.pitch, 0.2, 1e-12);
  close(f.yaw, -0.3, 1e-12);
});

Deno.test("gaze: angular error (arccos of the clipped cosine, degrees)", () => {
  close(angularErrorDeg({ pitch: 0, yaw: 0 }, { pitch: 0, yaw: 10 * DEG }), 10, 1e-9);
  close(angularErrorDeg({ pitch: 10 * DEG, yaw: 0 }, { pitch: -10 * DEG, yaw: 0 }), 20, 1e-9);
  const same = { pitch: 0.123456789, yaw: -0.3456789 };
  assert.equal(angularErrorDeg(same, same), 0); // clipping: no NaN from cos > 1
  close(angleBetweenDeg([1, 0, 0], [0, 2, 0]), 90, 1e-12);
  assert.ok(Number.isNaN(angleBetweenDeg([0, 0, 0], [0, 1, 0])));
  const errs = angularErrorsDeg([0, 0, 10 * DEG, 0], [0, 10 * DEG, -10 * DEG, 0]);
  close(errs[0], 10, 1e-9);
  close(errs[1], 20, 1e-9);
  assert.throws(() => angularErrorsDeg([0, 0], [0, 0, 0, 0]), RangeError);
});
