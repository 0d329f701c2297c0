/**
 * `deno task notebooks [--scale smoke|full] [--out-dir DIR] [names...]`
 *
 * Executes the notebooks in `notebooks/` (sorted; or only those named) headlessly with
 * nbconvert and the Deno kernel, into `--out-dir` (default `runs/notebooks/`; the committed
 * notebooks are never modified), exports each executed notebook to HTML next to it, and checks
 * that no cell raised and that every cell shows the outputs its metadata expects (see
 * `lib/notebook/check.ts`). A notebook whose expected outputs are missing (the Deno 2.9
 * kernel's lost-output bug) is re-executed up to `--retries` more times.
 *
 * Prints one line per notebook and finally `notebooks: N passed, M failed`; exits 1 when any
 * failed, 2 on a usage or setup error.
 *
 * @module
 */
import { parseArgs } from "node:util";
// Only the checker and the scale switch: the display helpers pull in the image codec (FFI).
import {
  checkExecutedNotebook,
  type CheckResult,
  type Notebook,
  worthRetrying,
} from "../lib/notebook/check.ts";
import { parseNotebookScale, SCALE_ENV } from "../lib/notebook/scale.ts";

const JUPYTER = "/usr/bin/jupyter";
const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

const USAGE = `usage: deno task notebooks [options] [names...]

Executes notebooks/*.ipynb headlessly (nbconvert + the Deno kernel), exports HTML and checks
each cell's expected outputs (cell metadata "eyegan": {"expect": [MIME types]}).

  names              notebooks to run: file names with or without .ipynb, or a prefix
                     such as 00 (default: all, sorted)
  --scale S          smoke | full: sets ${SCALE_ENV} for the kernel (default: $${SCALE_ENV},
                     else smoke)
  --out-dir DIR      where executed notebooks and HTML go (default runs/notebooks)
  --notebook-dir DIR where the notebooks are (default notebooks)
  --timeout S        per-cell timeout in seconds (default 600)
  --retries N        re-executions when expected outputs are missing (default 2)
  --no-html          skip the HTML export
  -h, --help         this text`;

/** A problem with the machine or the notebook names: reported without the usage text. */
class SetupError extends Error {}

interface Options {
  scale: string;
  outDir: string;
  notebookDir: string;
  timeout: number;
  retries: number;
  html: boolean;
  names: string[];
}

function parseOptions(args: string[]): Options | undefined {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      scale: { type: "string" },
      "out-dir": { type: "string", default: `${ROOT}/runs/notebooks` },
      "notebook-dir": { type: "string", default: `${ROOT}/notebooks` },
      timeout: { type: "string", default: "600" },
      retries: { type: "string", default: "2" },
      "no-html": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return undefined;
  const envScale = Deno.env.get(SCALE_ENV);
  const scale = parseNotebookScale(values.scale ?? (envScale ? envScale : "smoke"));
  const timeout = Number(values.timeout);
  if (!Number.isInteger(timeout) || timeout < 1) {
    throw new Error(`--timeout must be a positive integer, got '${values.timeout}'`);
  }
  const retries = Number(values.retries);
  if (!Number.isInteger(retries) || retries < 0) {
    throw new Error(`--retries must be a non-negative integer, got '${values.retries}'`);
  }
  return {
    scale,
    outDir: values["out-dir"].replace(/\/$/, ""),
    notebookDir: values["notebook-dir"].replace(/\/$/, ""),
    timeout,
    retries,
    html: !values["no-html"],
    names: positionals,
  };
}

async function listNotebooks(dir: string, names: string[]): Promise<string[]> {
  const all: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".ipynb")) all.push(e.name);
  }
  all.sort();
  if (names.length === 0) return all;
  const chosen: string[] = [];
  for (const name of names) {
    const base = name.replace(/^.*\//, "");
    const hits = all.filter((f) =>
      f === base || f === `${base}.ipynb` || f.startsWith(base.replace(/\.ipynb$/, ""))
    );
    if (hits.length === 0) {
      throw new SetupError(`no notebook matches '${name}' (have: ${all.join(", ") || "none"})`);
    }
    for (const h of hits) if (!chosen.includes(h)) chosen.push(h);
  }
  return chosen.sort();
}

async function jupyter(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(JUPYTER, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const stdout = new TextDecoder().decode(out.stdout);
  return { code: out.code, stdout, text: stdout + new TextDecoder().decode(out.stderr) };
}

async function checkSetup(): Promise<void> {
  try {
    await Deno.stat(JUPYTER);
  } catch {
    throw new SetupError(
      `${JUPYTER} not found: apt-get install jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel`,
    );
  }
  const { code, stdout, text } = await jupyter(["kernelspec", "list", "--json"], {});
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

function tail(text: string, lines = 15): string {
  return text.trimEnd().split("\n").slice(-lines).map((l) => `    ${l}`).join("\n");
}

interface RunResult {
  ok: boolean;
  line: string;
  details: string[];
}

/** Executes one notebook (with retries), exports HTML, returns the summary line. */
async function runNotebook(file: string, options: Options): Promise<RunResult> {
  const name = file.replace(/\.ipynb$/, "");
  const executed = `${options.outDir}/${file}`;
  const env = { NO_COLOR: "1", [SCALE_ENV]: options.scale };
  const started = performance.now();
  const notes: string[] = [];
  let check: CheckResult | undefined;
  let runs = 0;
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    runs++;
    const exec = await jupyter([
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      "--ExecutePreprocessor.kernel_name=deno",
      `--ExecutePreprocessor.timeout=${options.timeout}`,
      "--ExecutePreprocessor.startup_timeout=120",
      // Cell errors are recorded in the executed notebook and reported by the checker, which
      // names the cell; nbconvert itself still fails on timeouts and dead kernels.
      "--ExecutePreprocessor.allow_errors=True",
      "--output-dir",
      options.outDir,
      `${options.notebookDir}/${file}`,
    ], env);
    if (exec.code !== 0) {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      return {
        ok: false,
        line: `FAIL ${name}: nbconvert --execute exited ${exec.code} (${seconds} s)`,
        details: [tail(exec.text)],
      };
    }
    const notebook = JSON.parse(await Deno.readTextFile(executed)) as Notebook;
    check = checkExecutedNotebook(notebook);
    if (check.ok || !worthRetrying(check) || attempt === options.retries) break;
    notes.push(`run ${runs}: ${check.problems.map((p) => p.message).join("; ")}`);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const retried = runs > 1 ? `, ${runs - 1} retr${runs === 2 ? "y" : "ies"}` : "";
  let html = "";
  if (options.html) {
    const exp = await jupyter(["nbconvert", "--to", "html", executed], env);
    if (exp.code !== 0) {
      return {
        ok: false,
        line: `FAIL ${name}: HTML export failed (exit ${exp.code}, ${seconds} s)`,
        details: [tail(exp.text)],
      };
    }
    html = ` + .html`;
  }
  const retryNotes = notes.map((n) => `    retried after ${n}`);
  if (check!.ok) {
    const shown = Object.entries(check!.outputTypes).map(([t, n]) => `${n} ${t}`).join(", ");
    return {
      ok: true,
      line: `PASS ${name} (${seconds} s, scale ${options.scale}${retried}; ` +
        `${check!.cellsWithExpectations} cells checked; outputs: ${shown}) -> ${executed}${html}`,
      details: retryNotes,
    };
  }
  // Errors first: a raising cell usually explains the missing outputs after it.
  const rank = { error: 0, config: 1, missing: 2 };
  const problems = [...check!.problems].sort((a, b) => rank[a.kind] - rank[b.kind]);
  const first = problems[0];
  const more = problems.length > 1 ? ` (+${problems.length - 1} more)` : "";
  return {
    ok: false,
    line: `FAIL ${name}: ${first.message}${more} (${seconds} s, ${runs} run${
      runs === 1 ? "" : "s"
    }) -> ${executed}${html}`,
    details: [...retryNotes, ...problems.slice(1).map((p) => `    ${p.message}`)],
  };
}

async function main(args: string[]): Promise<number> {
  let options: Options | undefined;
  let files: string[];
  try {
    options = parseOptions(args);
    if (!options) {
      console.log(USAGE);
      return 0;
    }
    files = await listNotebooks(options.notebookDir, options.names);
    if (files.length === 0) throw new SetupError(`no notebooks in ${options.notebookDir}`);
    await checkSetup();
    await Deno.mkdir(options.outDir, { recursive: true });
    if (await Deno.realPath(options.outDir) === await Deno.realPath(options.notebookDir)) {
      throw new SetupError(
        "--out-dir must differ from the notebook folder (never overwrite notebooks)",
      );
    }
  } catch (e) {
    console.error(`notebooks: ${e instanceof Error ? e.message : e}`);
    if (!(e instanceof SetupError)) console.error(USAGE);
    return 2;
  }
  let passed = 0, failed = 0;
  for (const file of files) {
    const result = await runNotebook(file, options);
    console.log(result.line);
    for (const d of result.details) console.log(d);
    if (result.ok) passed++;
    else failed++;
  }
  console.log(`notebooks: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
