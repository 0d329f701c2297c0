/**
 * The eye renderer: parameters ({@link EyeParams}), projected geometry and landmarks
 * (`geometry.ts`), and the geometry pass into a G-buffer with the semantic map (`raster.ts`).
 * Appearance (pixel values) is added by `lib/data/domains/`.
 *
 * @module
 */
export * from "./params.ts";
export * from "./geometry.ts";
export * from "./raster.ts";
