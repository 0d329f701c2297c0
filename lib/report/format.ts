/**
 * Text helpers of the HTML report: number formatting, the "missing value" mark, and the
 * flattening of nested configs into dotted keys (`optimizer.lr`).
 *
 * @module
 */

/** What a table shows for a missing value (`undefined`, `null`, `NaN`). */
export const MISSING = "—";

/**
 * Formats a number for a table cell.
 *
 * - integers as they are (`1200`), `NaN` as {@link MISSING}, infinities as `∞` / `-∞`;
 * - `|v| >= 1e6` or `|v| < 1e-4`: exponent notation with `digits` significant digits;
 * - `|v| < 0.1`: `digits` significant digits (`0.0123`), so small values such as KID keep
 *   their precision;
 * - otherwise `digits` digits after the point (`7.123`).
 *
 * @param value the number.
 * @param digits digits after the point, or significant digits for small values (default 3).
 * @example
 * ```ts
 * import { formatNumber } from "./format.ts";
 * console.log(formatNumber(7.12345), formatNumber(0.012345), formatNumber(42)); // 7.123 0.0123 42
 * ```
 */
export function formatNumber(value: number, digits = 3): string {
  if (Number.isNaN(value)) return MISSING;
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "-∞";
  if (Number.isInteger(value)) return String(value);
  const a = Math.abs(value);
  if (a >= 1e6 || a < 1e-4) return value.toExponential(Math.max(0, digits - 1));
  if (a < 0.1) return value.toPrecision(Math.max(1, digits));
  return value.toFixed(digits);
}

/**
 * The text of a table cell: numbers through {@link formatNumber}, missing values as
 * {@link MISSING}, booleans as `yes`/`no`, arrays and objects as JSON, the rest via `String`.
 * The result is plain text: escape it before putting it into HTML.
 */
export function cellText(value: unknown, digits = 3): string {
  if (value === undefined || value === null) return MISSING;
  if (typeof value === "number") return formatNumber(value, digits);
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Flattens nested plain objects into `[dotted key, value]` pairs, in key order:
 * `{a: {b: 1, c: [2, 3]}, d: "x"}` gives `a.b = 1`, `a.c = [2, 3]`, `d = "x"`. Arrays, class
 * instances and empty objects are leaves.
 *
 * @param value the object to flatten.
 * @param prefix prepended to every key (used by the recursion).
 */
export function flattenObject(
  value: Record<string, unknown>,
  prefix = "",
): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [key, v] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(v) && Object.keys(v).length > 0) out.push(...flattenObject(v, name));
    else out.push([name, v]);
  }
  return out;
}

/**
 * The dotted keys of `values` whose value differs from `defaults` (compared as JSON) or that
 * `defaults` lacks: the "non-default" marks of a config table.
 *
 * @example
 * ```ts
 * import { changedKeys } from "./format.ts";
 * const changed = changedKeys({ lr: 1e-3, net: { blocks: 6 } }, { lr: 1e-3, net: { blocks: 4 } });
 * console.log([...changed]); // ["net.blocks"]
 * ```
 */
export function changedKeys(
  values: Record<string, unknown>,
  defaults: Record<string, unknown>,
): Set<string> {
  const base = new Map(flattenObject(defaults));
  const changed = new Set<string>();
  for (const [key, v] of flattenObject(values)) {
    if (!base.has(key) || JSON.stringify(base.get(key)) !== JSON.stringify(v)) changed.add(key);
  }
  return changed;
}
