/**
 * The notebooks' size switch, read from `EYEGAN_NOTEBOOK_SCALE`:
 *
 * - `smoke`: a token amount of work, seconds per notebook, every output still shown (CI,
 *   `deno task notebooks` by default);
 * - `small` (the default when the variable is unset): the real thing, sized so that each
 *   notebook runs in a few minutes on a laptop-class CPU;
 * - `full`: longer training and larger evaluations, for numbers closer to the training tasks'
 *   `quick` preset (several to tens of minutes per notebook on a CPU).
 *
 * @module
 */

/** The environment variable read by {@link notebookScale}. */
export const SCALE_ENV = "EYEGAN_NOTEBOOK_SCALE";

/** The accepted scales, smallest first. */
export const NOTEBOOK_SCALES = ["smoke", "small", "full"] as const;

/** `smoke`: seconds, to exercise the code; `small`: a few minutes (default); `full`: longer. */
export type NotebookScale = typeof NOTEBOOK_SCALES[number];

/** The scale used when `EYEGAN_NOTEBOOK_SCALE` is unset, empty or unreadable. */
export const DEFAULT_NOTEBOOK_SCALE: NotebookScale = "small";

/** Parses a scale name, with an error listing the valid ones. */
export function parseNotebookScale(value: string): NotebookScale {
  const v = value.trim().toLowerCase();
  if ((NOTEBOOK_SCALES as readonly string[]).includes(v)) return v as NotebookScale;
  throw new Error(
    `unknown notebook scale '${value}': expected one of ${NOTEBOOK_SCALES.join(", ")}`,
  );
}

/**
 * The scale notebooks should run at, from `EYEGAN_NOTEBOOK_SCALE` (unset or empty:
 * {@link DEFAULT_NOTEBOOK_SCALE}, `small`).
 *
 * Without permission to read that variable it returns the default (it never prompts).
 *
 * @throws if the variable holds something other than `smoke`, `small` or `full`.
 */
export function notebookScale(): NotebookScale {
  let value: string | undefined;
  try {
    if (Deno.permissions.querySync({ name: "env", variable: SCALE_ENV }).state !== "granted") {
      return DEFAULT_NOTEBOOK_SCALE;
    }
    value = Deno.env.get(SCALE_ENV);
  } catch {
    return DEFAULT_NOTEBOOK_SCALE;
  }
  if (value === undefined || value.trim() === "") return DEFAULT_NOTEBOOK_SCALE;
  try {
    return parseNotebookScale(value);
  } catch (e) {
    throw new Error(`${SCALE_ENV}: ${(e as Error).message}`);
  }
}

/**
 * Picks the value for the current {@link notebookScale}. `small` may be left out where the
 * `full` value is already cheap (a table of 16 images, a plot): it then takes `full`'s value.
 *
 * @example
 * ```ts ignore
 * const steps = byScale({ smoke: 20, small: 300, full: 1000 });
 * const images = byScale({ smoke: 8, full: 32 }); // small: 32
 * ```
 */
export function byScale<T>(
  values: { smoke: T; small?: T; full: T },
  scale: NotebookScale = notebookScale(),
): T {
  if (scale === "small") return "small" in values ? values.small as T : values.full;
  return values[scale];
}
