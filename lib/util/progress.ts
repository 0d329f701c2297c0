/**
 * A text progress bar on stderr: step/total, percentage, rate, ETA and extra fields.
 *
 * On a terminal the bar redraws one line in place (at most every `redrawMs`); elsewhere (CI
 * logs, files, pipes) it prints a plain line every `logEveryMs` and one at the end, so logs stay
 * short. No dependencies.
 *
 * @example
 * ```ts
 * import { ProgressBar } from "./progress.ts";
 * const bar = new ProgressBar(1000, { label: "render" });
 * for (let i = 0; i < 1000; i++) bar.tick(1, { loss: 0.5 });
 * bar.finish();
 * // render [##########..........]  500/1000  50%  812.3/s  ETA 0:01  loss=0.5
 * ```
 *
 * @module
 */

/** Where the bar writes; Deno.stderr by default. */
export interface ProgressSink {
  writeSync(bytes: Uint8Array): number;
  isTerminal(): boolean;
}

/** Options of a {@link ProgressBar}. */
export interface ProgressOptions {
  /** Text before the bar. */
  label?: string;
  /** Characters in the bar (default 24). */
  width?: number;
  /** Output (default `Deno.stderr`). */
  sink?: ProgressSink;
  /** Minimum time between redraws on a terminal, ms (default 100). */
  redrawMs?: number;
  /** Time between lines when not a terminal, ms (default 10,000). */
  logEveryMs?: number;
  /** Unit of the rate, e.g. "img" (default "it"). */
  unit?: string;
  /** Clock in ms (default `performance.now`); for tests. */
  now?: () => number;
  /** Print nothing at all. */
  quiet?: boolean;
}

/** Formats seconds as `h:mm:ss` or `m:ss`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const pad = (v: number) => String(v).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(r)}` : `${m}:${pad(r)}`;
}

function formatField(v: string | number): string {
  if (typeof v === "string") return v;
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toPrecision(4);
}

/** A progress bar for `total` steps. See the module documentation. */
export class ProgressBar {
  #step = 0;
  #fields: Record<string, string | number> = {};
  readonly #start: number;
  #lastDraw = -Infinity;
  #done = false;
  readonly #tty: boolean;
  readonly #sink: ProgressSink;
  readonly #now: () => number;
  readonly #enc = new TextEncoder();

  /** @param total number of steps (0 or more). */
  constructor(readonly total: number, readonly options: ProgressOptions = {}) {
    this.#sink = options.sink ?? Deno.stderr;
    this.#now = options.now ?? (() => performance.now());
    this.#tty = this.#sink.isTerminal();
    this.#start = this.#now();
  }

  /** Steps done so far. */
  get step(): number {
    return this.#step;
  }

  /** Advances by `n` steps and merges `fields` into the extra fields shown. */
  tick(n = 1, fields?: Record<string, string | number>): void {
    this.update(this.#step + n, fields);
  }

  /** Sets the step count and merges `fields`. */
  update(step: number, fields?: Record<string, string | number>): void {
    this.#step = Math.min(step, this.total);
    if (fields) Object.assign(this.#fields, fields);
    const now = this.#now();
    const every = this.#tty ? (this.options.redrawMs ?? 100) : (this.options.logEveryMs ?? 10_000);
    if (now - this.#lastDraw >= every) {
      this.#lastDraw = now;
      this.#draw(false);
    }
  }

  /** Draws the final state and ends the line. Idempotent. */
  finish(fields?: Record<string, string | number>): void {
    if (this.#done) return;
    if (fields) Object.assign(this.#fields, fields);
    this.#done = true;
    this.#draw(true);
  }

  /** The current line, without terminal control characters. */
  render(): string {
    const { total } = this;
    const elapsed = (this.#now() - this.#start) / 1000;
    const rate = elapsed > 0 ? this.#step / elapsed : 0;
    const frac = total > 0 ? this.#step / total : 1;
    const width = this.options.width ?? 24;
    const filled = Math.round(frac * width);
    const bar = "#".repeat(filled) + ".".repeat(width - filled);
    const eta = rate > 0 ? formatDuration((total - this.#step) / rate) : "?";
    const digits = String(total).length;
    const parts = [
      ...(this.options.label ? [this.options.label] : []),
      `[${bar}]`,
      `${String(this.#step).padStart(digits)}/${total}`,
      `${(frac * 100).toFixed(0).padStart(3)}%`,
      `${rate.toFixed(1)} ${this.options.unit ?? "it"}/s`,
      this.#step >= total ? `in ${formatDuration(elapsed)}` : `ETA ${eta}`,
      ...Object.entries(this.#fields).map(([k, v]) => `${k}=${formatField(v)}`),
    ];
    return parts.join("  ");
  }

  #draw(final: boolean): void {
    if (this.options.quiet) return;
    const line = this.render();
    const text = this.#tty ? `\r\x1b[2K${line}${final ? "\n" : ""}` : `${line}\n`;
    this.#sink.writeSync(this.#enc.encode(text));
  }
}
