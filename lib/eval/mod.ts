/**
 * Realism measures of refined images without Inception weights:
 * - {@link kid}: Kernel Inception Distance on features of a fixed in-project network
 *   ({@link extractFeatures}, the gaze estimator's `fc1` by default). Domain-specific: it ranks
 *   refiners on the same data with the same network; it is not comparable to published KID/FID.
 * - {@link visualTuringTest}: held-out accuracy of a small CNN trained to tell real from refined
 *   images (50% = indistinguishable).
 *
 * The gaze protocol itself (train on refined, test on real) lives in `lib/gaze`.
 *
 * @module
 */
export * from "./kid.ts";
export * from "./features.ts";
export * from "./turing.ts";
