/**
 * Notebook support: display helpers that are safe outside the kernel, the smoke/small/full scale
 * switch, and the checker that `deno task notebooks` runs on executed notebooks.
 *
 * @example
 * ```ts ignore
 * import { byScale, showImages, showPlot } from "../lib/notebook/mod.ts";
 * const n = byScale({ smoke: 4, small: 16, full: 64 });
 * await showImages(images.slice(0, n), { cols: 8, title: "real eyes" });
 * ```
 *
 * @module
 */
export * from "./display.ts";
export * from "./scale.ts";
export * from "./check.ts";
