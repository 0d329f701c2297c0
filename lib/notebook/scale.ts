/**
 * The notebooks' size switch: `EYEGAN_NOTEBOOK_SCALE=smoke` makes every notebook do a token
 * amount of work (CI, `deno task notebooks --scale smoke`); `full` (the default) does the real
 * thing.
 *
 * @module
 */

/** The environment variable read by {@link notebookScale}. */
export const SCALE_ENV = "EYEGAN_NOTEBOOK_SCALE";

/** The accepted scales. */
export const NOTEBOOK_SCALES = ["smoke", "full"] as const;

/** `smoke`: seconds, just enough to exercise the code and show every output; `full`: real work. */
export type NotebookScale = typeof NOTEBOOK_SCALES[number];

/** Parses a scale name, with an error listing the valid ones. */
export function parseNotebookScale(value: string): NotebookScale {
  const v = value.trim().toLowerCase();
  if ((NOTEBOOK_SCALES as readonly string[]).includes(v)) return v as NotebookScale;
  throw new Error(
    `unknown notebook scale '${value}': expected one of ${NOTEBOOK_SCALES.join(", ")}`,
  );
}

/**
 * The scale notebooks should run at, from `EYEGAN_NOTEBOOK_SCALE` (unset or empty: `full`).
 *
 * Without permission to read that variable it returns `full` (it never prompts).
 *
 * @throws if the variable holds something other than `smoke` or `full`.
 */
export function notebookScale(): NotebookScale {
  let value: string | undefined;
  try {
    if (Deno.permissions.querySync({ name: "env", variable: SCALE_ENV }).state !== "granted") {
      return "full";
    }
    value = Deno.env.get(SCALE_ENV);
  } catch {
    return "full";
  }
  if (value === undefined || value.trim() === "") return "full";
  try {
    return parseNotebookScale(value);
  } catch (e) {
    throw new Error(`${SCALE_ENV}: ${(e as Error).message}`);
  }
}

/**
 * Picks the value for the current {@link notebookScale}.
 *
 * @example
 * ```ts ignore
 * const steps = byScale({ smoke: 2, full: 2000 });
 * ```
 */
export function byScale<T>(
  values: { smoke: T; full: T },
  scale: NotebookScale = notebookScale(),
): T {
  return values[scale];
}
