/**
 * Headless notebook runs (`deno task notebooks`): executes notebooks with nbconvert and the Deno
 * Jupyter kernel into an output folder (the committed notebooks are never modified), exports
 * each executed notebook to HTML next to it, and checks that no cell raised and that every cell
 * shows the outputs its metadata expects (`./check.ts`). A notebook whose expected outputs are
 * missing (the Deno 2.9 kernel's lost-output bug) is re-executed up to `retries` more times.
 *
 * Needs `--allow-run=/usr/bin/jupyter`, `--allow-read`, `--allow-write` for the output folder,
 * and `--allow-env` (the scale switch).
 *
 * @example
 * ```ts ignore
 * import { runNotebooks } from "../lib/notebook/run.ts";
 * const { passed, failed } = await runNotebooks(["00"], {
 *   scale: "smoke",
 *   onResult: (r) => console.log(r.line),
 * });
 * ```
 *
 * @module
 */
// Only the checker, the exporter and the scale switch: the display helpers pull in the image
// codec (FFI).
import { SetupError, UsageError } from "../util/cli.ts";
import { checkExecutedNotebook, type CheckResult, type Notebook, worthRetrying } from "./check.ts";
import { exportNotebookHtml, JUPYTER, NotebookExportError } from "./export.ts";
import { type NotebookScale, parseNotebookScale, SCALE_ENV } from "./scale.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** Defaults of {@link NotebookRunOptions}. */
export const NOTEBOOK_RUN_DEFAULTS = {
  /** The committed notebooks. */
  notebookDir: `${ROOT}/notebooks`,
  /** Executed notebooks and their HTML. */
  outDir: `${ROOT}/runs/notebooks`,
  /** Per-cell timeout, seconds. */
  timeout: 600,
  /** Re-executions when expected outputs are missing. */
  retries: 2,
  /** Export HTML next to each executed notebook. */
  html: true,
  /** The Jupyter executable (the task line allows running exactly this path). */
  jupyter: JUPYTER,
} as const;

/** Options of {@link runNotebook} and {@link runNotebooks}. */
export interface NotebookRunOptions {
  /** Sets `EYEGAN_NOTEBOOK_SCALE` for the kernel. */
  scale: NotebookScale;
  /** Where executed notebooks and HTML go (default {@link NOTEBOOK_RUN_DEFAULTS}). */
  outDir?: string;
  /** Where the notebooks are. */
  notebookDir?: string;
  /** Per-cell timeout in seconds. */
  timeout?: number;
  /** Re-executions when expected outputs are missing. */
  retries?: number;
  /** Export HTML. */
  html?: boolean;
  /** The Jupyter executable. */
  jupyter?: string;
}

/** The outcome of one notebook. */
export interface NotebookResult {
  /** The file name, e.g. `00_backends.ipynb`. */
  file: string;
  ok: boolean;
  /** `PASS name (...) -> path` or `FAIL name: first problem (...)`. */
  line: string;
  /** Indented lines: retry notes, further problems, the tail of a failing command. */
  details: string[];
}

type Resolved = Required<NotebookRunOptions>;

function resolve(options: NotebookRunOptions): Resolved {
  const d = NOTEBOOK_RUN_DEFAULTS;
  return {
    scale: options.scale,
    outDir: (options.outDir ?? d.outDir).replace(/\/$/, ""),
    notebookDir: (options.notebookDir ?? d.notebookDir).replace(/\/$/, ""),
    timeout: options.timeout ?? d.timeout,
    retries: options.retries ?? d.retries,
    html: options.html ?? d.html,
    jupyter: options.jupyter ?? d.jupyter,
  };
}

/**
 * The scale for a run: `flag` when given, else `$EYEGAN_NOTEBOOK_SCALE` when set and not
 * empty, else `smoke`.
 *
 * @throws {UsageError} for anything but `smoke`, `small` or `full`, naming where it came from.
 */
export function resolveNotebookScale(flag?: string): NotebookScale {
  const env = flag === undefined ? Deno.env.get(SCALE_ENV) : undefined;
  const [value, source] = flag !== undefined
    ? [flag, "--scale"]
    : env
    ? [env, `$${SCALE_ENV}`]
    : ["smoke", "default"];
  try {
    return parseNotebookScale(value);
  } catch (e) {
    throw new UsageError(`${source}: ${(e as Error).message}`);
  }
}

/**
 * Picks notebooks from `all` (file names): every one, sorted, when `names` is empty; else those
 * equal to a name (with or without `.ipynb`, any folder dropped) or starting with it (`00`).
 *
 * @throws {SetupError} when a name matches nothing.
 *
 * @example
 * ```ts
 * import { matchNotebooks } from "./run.ts";
 * const all = ["00_backends.ipynb", "01_data.ipynb"];
 * console.log(matchNotebooks(all, ["01"])); // ["01_data.ipynb"]
 * ```
 */
export function matchNotebooks(all: string[], names: string[]): string[] {
  const sorted = [...all].sort();
  if (names.length === 0) return sorted;
  const chosen: string[] = [];
  for (const name of names) {
    const base = name.replace(/^.*\//, "");
    const hits = sorted.filter((f) =>
      f === base || f === `${base}.ipynb` || f.startsWith(base.replace(/\.ipynb$/, ""))
    );
    if (hits.length === 0) {
      throw new SetupError(`no notebook matches '${name}' (have: ${sorted.join(", ") || "none"})`);
    }
    for (const h of hits) if (!chosen.includes(h)) chosen.push(h);
  }
  return chosen.sort();
}

/** The `.ipynb` files in `dir` chosen by `names` (see {@link matchNotebooks}). */
export async function listNotebooks(dir: string, names: string[]): Promise<string[]> {
  const all: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".ipynb")) all.push(e.name);
    }
  } catch (e) {
    throw new SetupError(`cannot read the notebook folder ${dir}: ${(e as Error).message}`);
  }
  return matchNotebooks(all, names);
}

async function jupyter(exe: string, args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(exe, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const stdout = new TextDecoder().decode(out.stdout);
  return { code: out.code, stdout, text: stdout + new TextDecoder().decode(out.stderr) };
}

/** The last `lines` lines of `text`, indented for a report. */
function tail(text: string, lines = 15): string {
  return text.trimEnd().split("\n").slice(-lines).map((l) => `    ${l}`).join("\n");
}

/**
 * Checks that Jupyter (with nbconvert) runs and that the Deno kernel is installed.
 *
 * @throws {SetupError} saying what to install.
 */
export async function checkJupyter(exe: string = NOTEBOOK_RUN_DEFAULTS.jupyter): Promise<void> {
  try {
    await Deno.stat(exe);
  } catch {
    throw new SetupError(
      `${exe} not found: apt-get install jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel`,
    );
  }
  const { code, stdout, text } = await jupyter(exe, ["kernelspec", "list", "--json"], {});
  if (code !== 0) throw new SetupError(`jupyter kernelspec list failed:\n${tail(text)}`);
  let specs: Record<string, unknown>;
  try {
    specs = JSON.parse(stdout).kernelspecs ?? {};
  } catch {
    throw new SetupError(`cannot read jupyter kernelspec list --json:\n${tail(text)}`);
  }
  if (!("deno" in specs)) {
    throw new SetupError("the Deno Jupyter kernel is not installed: run deno jupyter --install");
  }
}

/**
 * Everything a run needs before the first notebook: the chosen notebooks (at least one), a
 * working Jupyter with the Deno kernel, and an output folder that exists and is not the
 * notebook folder.
 *
 * @returns the chosen file names, sorted.
 * @throws {SetupError} for any of those problems.
 */
export async function prepareNotebookRun(
  names: string[],
  options: NotebookRunOptions,
): Promise<string[]> {
  const o = resolve(options);
  const files = await listNotebooks(o.notebookDir, names);
  if (files.length === 0) throw new SetupError(`no notebooks in ${o.notebookDir}`);
  await checkJupyter(o.jupyter);
  try {
    await Deno.mkdir(o.outDir, { recursive: true });
  } catch (e) {
    throw new SetupError(`cannot create --out-dir ${o.outDir}: ${(e as Error).message}`);
  }
  if (await Deno.realPath(o.outDir) === await Deno.realPath(o.notebookDir)) {
    throw new SetupError(
      "--out-dir must differ from the notebook folder (never overwrite notebooks)",
    );
  }
  return files;
}

/**
 * Executes one notebook of `options.notebookDir` into `options.outDir` (re-executing while
 * expected outputs are missing, up to `retries` times), exports HTML, and checks it.
 *
 * @param file a file name in the notebook folder, e.g. `00_backends.ipynb`.
 * @returns the summary line and details; `ok` only when every check passed.
 */
export async function runNotebook(
  file: string,
  options: NotebookRunOptions,
): Promise<NotebookResult> {
  const o = resolve(options);
  const name = file.replace(/\.ipynb$/, "");
  const executed = `${o.outDir}/${file}`;
  const env = { NO_COLOR: "1", [SCALE_ENV]: o.scale };
  const started = performance.now();
  const notes: string[] = [];
  let check: CheckResult | undefined;
  let runs = 0;
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    runs++;
    const exec = await jupyter(o.jupyter, [
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      "--ExecutePreprocessor.kernel_name=deno",
      `--ExecutePreprocessor.timeout=${o.timeout}`,
      "--ExecutePreprocessor.startup_timeout=120",
      // Cell errors are recorded in the executed notebook and reported by the checker, which
      // names the cell; nbconvert itself still fails on timeouts and dead kernels.
      "--ExecutePreprocessor.allow_errors=True",
      "--output-dir",
      o.outDir,
      `${o.notebookDir}/${file}`,
    ], env);
    if (exec.code !== 0) {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      return {
        file,
        ok: false,
        line: `FAIL ${name}: nbconvert --execute exited ${exec.code} (${seconds} s)`,
        details: [tail(exec.text)],
      };
    }
    const notebook = JSON.parse(await Deno.readTextFile(executed)) as Notebook;
    check = checkExecutedNotebook(notebook);
    if (check.ok || !worthRetrying(check) || attempt === o.retries) break;
    notes.push(`run ${runs}: ${check.problems.map((p) => p.message).join("; ")}`);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const retried = runs > 1 ? `, ${runs - 1} retr${runs === 2 ? "y" : "ies"}` : "";
  let html = "";
  if (o.html) {
    try {
      await exportNotebookHtml(executed, { jupyter: o.jupyter, env });
    } catch (e) {
      if (!(e instanceof NotebookExportError)) throw e;
      return {
        file,
        ok: false,
        line: `FAIL ${name}: HTML export failed (exit ${e.code}, ${seconds} s)`,
        details: [tail(e.output)],
      };
    }
    html = ` + .html`;
  }
  const retryNotes = notes.map((n) => `    retried after ${n}`);
  const result = check!;
  if (result.ok) {
    const shown = Object.entries(result.outputTypes).map(([t, n]) => `${n} ${t}`).join(", ");
    return {
      file,
      ok: true,
      line: `PASS ${name} (${seconds} s, scale ${o.scale}${retried}; ` +
        `${result.cellsWithExpectations} cells checked; outputs: ${shown}) -> ${executed}${html}`,
      details: retryNotes,
    };
  }
  // Errors first: a raising cell usually explains the missing outputs after it.
  const rank = { error: 0, config: 1, missing: 2 };
  const problems = [...result.problems].sort((a, b) => rank[a.kind] - rank[b.kind]);
  const first = problems[0];
  const more = problems.length > 1 ? ` (+${problems.length - 1} more)` : "";
  return {
    file,
    ok: false,
    line: `FAIL ${name}: ${first.message}${more} (${seconds} s, ${runs} run${
      runs === 1 ? "" : "s"
    }) -> ${executed}${html}`,
    details: [...retryNotes, ...problems.slice(1).map((p) => `    ${p.message}`)],
  };
}

/** Summary of {@link runNotebooks}. */
export interface NotebookRunSummary {
  passed: number;
  failed: number;
  results: NotebookResult[];
}

/**
 * Runs the notebooks chosen by `names` (all when empty; see {@link matchNotebooks}) one after
 * the other, after {@link prepareNotebookRun}.
 *
 * @param names notebook names or prefixes.
 * @param options where, how, and `onResult`, called as each notebook finishes.
 * @throws {SetupError} before running anything when the setup is wrong.
 */
export async function runNotebooks(
  names: string[],
  options: NotebookRunOptions & { onResult?: (result: NotebookResult) => void },
): Promise<NotebookRunSummary> {
  const files = await prepareNotebookRun(names, options);
  const results: NotebookResult[] = [];
  for (const file of files) {
    const result = await runNotebook(file, options);
    results.push(result);
    options.onResult?.(result);
  }
  const passed = results.filter((r) => r.ok).length;
  return { passed, failed: results.length - passed, results };
}
