/**
 * The HTML export of executed notebooks with `jupyter nbconvert --to html`: one exporter for the
 * headless notebook runs (`./run.ts`, the HTML next to each executed notebook) and the browser
 * check (`lib/report/browser_check.ts`, into its output folder).
 *
 * Needs `--allow-run` for the Jupyter executable, `--allow-read` for the notebook and
 * `--allow-write` for the output folder.
 *
 * @example
 * ```ts ignore
 * import { exportNotebookHtml } from "./export.ts";
 * const html = await exportNotebookHtml("runs/notebooks/00_backends.ipynb");
 * // runs/notebooks/00_backends.html
 * ```
 *
 * @module
 */

/** The Jupyter executable (the task lines allow running exactly this path). */
export const JUPYTER = "/usr/bin/jupyter";

/** Options of {@link exportNotebookHtml}. */
export interface NotebookExportOptions {
  /** The folder the HTML goes to, created when missing (default: the notebook's folder). */
  outDir?: string;
  /** The HTML file's name without `.html` (default: the notebook's, less `.ipynb`). */
  name?: string;
  /** The Jupyter executable (default {@link JUPYTER}). */
  jupyter?: string;
  /** Environment variables for nbconvert (added to this process's). */
  env?: Record<string, string>;
}

/** nbconvert ran but failed: its exit code and its whole output (stdout, then stderr). */
export class NotebookExportError extends Error {
  constructor(message: string, readonly code: number, readonly output: string) {
    super(message);
    this.name = "NotebookExportError";
  }
}

/** The folder of `path` (`.` for a bare file name). */
function folderOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

/** The notebook's file name less `.ipynb`. */
function stemOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1).replace(/\.ipynb$/i, "");
}

/**
 * Exports an executed notebook to `OUT-DIR/NAME.html` with
 * `jupyter nbconvert --to html --output-dir OUT-DIR --output NAME NOTEBOOK`.
 *
 * @returns the HTML file's path.
 * @throws {NotebookExportError} with the last lines of nbconvert's stderr when it exits
 *   non-zero; an Error saying what to install when Jupyter cannot be run.
 */
export async function exportNotebookHtml(
  notebook: string,
  options: NotebookExportOptions = {},
): Promise<string> {
  const jupyter = options.jupyter ?? JUPYTER;
  const outDir = (options.outDir ?? folderOf(notebook)).replace(/(.)\/+$/, "$1");
  const name = options.name ?? stemOf(notebook);
  await Deno.mkdir(outDir, { recursive: true });
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(jupyter, {
      args: ["nbconvert", "--to", "html", "--output-dir", outDir, "--output", name, notebook],
      ...(options.env ? { env: options.env } : {}),
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    throw new Error(
      `cannot run ${jupyter} (${(e as Error).message}): apt-get install jupyter-nbconvert`,
    );
  }
  if (out.code !== 0) {
    const dec = new TextDecoder();
    const stderr = dec.decode(out.stderr);
    const last = stderr.trim().split("\n").slice(-10).join("\n");
    throw new NotebookExportError(
      `jupyter nbconvert --to html ${notebook} exited ${out.code}:\n${last}`,
      out.code,
      dec.decode(out.stdout) + stderr,
    );
  }
  return `${outDir === "/" ? "" : outDir}/${name}.html`;
}

/**
 * Names for exporting several notebooks into one folder, one per path, all different: the
 * notebook's name when no other path has it, else with as many of its parent folders as tell the
 * paths apart (`a_x`, `b_x` for `a/x.ipynb` and `b/x.ipynb`), then `-2`, `-3` for a path given
 * twice; characters other than letters, digits, `_` and `-` become `_`.
 *
 * @example
 * ```ts
 * import { uniqueExportNames } from "./export.ts";
 * console.log(uniqueExportNames(["a/x.ipynb", "b/x.ipynb", "c/y.ipynb"])); // a_x, b_x, y
 * ```
 */
export function uniqueExportNames(paths: readonly string[]): string[] {
  const parts = paths.map((p) => p.replace(/\.ipynb$/i, "").split("/").filter(Boolean));
  const clean = (segments: string[]) =>
    (segments.join("_") || "notebook").replace(/[^A-Za-z0-9_-]+/g, "_");
  const names = parts.map((p) => clean(p.slice(-1)));
  const longest = Math.max(1, ...parts.map((p) => p.length));
  for (let depth = 2; depth <= longest; depth++) {
    const dup = new Set(names.filter((n, i) => names.indexOf(n) !== i));
    if (dup.size === 0) break;
    names.forEach((n, i) => {
      if (dup.has(n)) names[i] = clean(parts[i].slice(-depth));
    });
  }
  const used = new Set<string>();
  return names.map((n) => {
    let name = n;
    for (let k = 2; used.has(name); k++) name = `${n}-${k}`;
    used.add(name);
    return name;
  });
}
