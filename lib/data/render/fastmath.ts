/**
 * Fast approximations for per-sample shading loops, where `Math.cos` dominates.
 *
 * @module
 */

/**
 * `cos(x)` to within 0.0011 absolute, for any finite `x`: `cos(x) = sin(2 pi t)` with
 * `t = x / (2 pi) + 1/4` wrapped into [-1/2, 1/2); then the parabola `y = 8t - 16 t |t|` and
 * one refinement step `y + 0.225 (y |y| - y)`.
 */
export function fastCos(x: number): number {
  let t = x * 0.15915494309189535 + 0.25;
  t -= Math.floor(t + 0.5);
  const y = 8 * t - 16 * t * (t < 0 ? -t : t);
  return y + 0.225 * (y * (y < 0 ? -y : y) - y);
}
