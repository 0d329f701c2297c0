/**
 * Checks an executed notebook (`.ipynb` JSON written by `nbconvert --execute`): no cell
 * raised, and every cell shows the outputs the notebook says it should.
 *
 * Expectations live in the notebook itself:
 * - cell metadata `"eyegan": {"expect": ["image/png", "application/vnd.plotly.v1+json"]}`:
 *   that cell's outputs must include each MIME type (in a `display_data` or `execute_result`);
 *   `stdout` / `stderr` stand for a stream output of that name;
 * - notebook metadata `"eyegan": {"expect": [...]}`: each type must appear in some cell.
 *
 * @module
 */

/** One output of a code cell (nbformat 4). */
export interface NotebookOutput {
  /** `display_data`, `execute_result`, `stream` or `error`. */
  output_type: "display_data" | "execute_result" | "stream" | "error" | string;
  /** MIME bundle of display data and results. */
  data?: Record<string, unknown>;
  /** Stream name: `stdout` or `stderr`. */
  name?: string;
  /** Stream text. */
  text?: string | string[];
  /** Error class name. */
  ename?: string;
  /** Error message. */
  evalue?: string;
  /** Error traceback lines (may hold ANSI codes). */
  traceback?: string[];
}

/** The metadata this project reads: `{"eyegan": {"expect": [...]}}`. */
export interface EyeganMetadata {
  /** This project's metadata; `expect` should be a list of MIME types. */
  eyegan?: { expect?: unknown };
  /** Any other metadata. */
  [key: string]: unknown;
}

/** One notebook cell (nbformat 4). */
export interface NotebookCell {
  /** `code`, `markdown` or `raw`. */
  cell_type: "code" | "markdown" | "raw" | string;
  /** The cell's text, whole or as lines. */
  source: string | string[];
  /** The cell id (nbformat 4.5). */
  id?: string;
  /** Cell metadata. */
  metadata?: EyeganMetadata;
  /** Outputs of a code cell. */
  outputs?: NotebookOutput[];
  /** Execution counter of a code cell; `null` when not run. */
  execution_count?: number | null;
}

/** A notebook (nbformat 4). */
export interface Notebook {
  /** The cells in order. */
  cells: NotebookCell[];
  /** Notebook metadata (kernelspec, `eyegan.expect`). */
  metadata?: EyeganMetadata & { kernelspec?: { name?: string; language?: string } };
  /** Major format version (4). */
  nbformat?: number;
  /** Minor format version. */
  nbformat_minor?: number;
}

/**
 * One thing wrong with an executed notebook.
 * - `error`: a cell raised (deterministic: re-running will not help);
 * - `missing`: expected output absent (may be the kernel's lost-output bug: worth a re-run);
 * - `config`: malformed expectations in the notebook's metadata.
 */
export interface OutputProblem {
  /** See {@link OutputProblem}. */
  kind: "error" | "missing" | "config";
  /** 1-based index of the cell among all cells; 0 for notebook-level problems. */
  cell: number;
  /** The message, naming the cell (index, id, first source line). */
  message: string;
}

/** What {@link checkExecutedNotebook} found. */
export interface CheckResult {
  /** No problems. */
  ok: boolean;
  /** What is wrong, in cell order (notebook-level last). */
  problems: OutputProblem[];
  /** Cells that carry expectations. */
  cellsWithExpectations: number;
  /** How many outputs carry each MIME type (or are `stdout`/`stderr` streams). */
  outputTypes: Record<string, number>;
}

/** The source of a cell as one string. */
export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source ?? "";
}

/** `cell 3 [id abc] ("await showPlot(fig)")`: how problems name a cell (1-based index). */
export function cellLabel(cell: NotebookCell, index: number): string {
  const first = cellSource(cell).split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
  const short = first.length > 60 ? `${first.slice(0, 57)}...` : first;
  return `cell ${index + 1}${cell.id ? ` [id ${cell.id}]` : ""} (${JSON.stringify(short)})`;
}

function expectations(
  meta: EyeganMetadata | undefined,
  where: string,
  problems: OutputProblem[],
  cell: number,
): string[] {
  const expect = meta?.eyegan?.expect;
  if (expect === undefined) return [];
  if (!Array.isArray(expect) || !expect.every((e) => typeof e === "string" && e !== "")) {
    problems.push({
      kind: "config",
      cell,
      message: `${where}: metadata eyegan.expect must be a list of MIME types, got ${
        JSON.stringify(expect)
      }`,
    });
    return [];
  }
  return expect as string[];
}

/** The MIME types (and `stdout`/`stderr`) a cell's outputs carry. */
export function outputTypesOf(cell: NotebookCell): Set<string> {
  const types = new Set<string>();
  for (const out of cell.outputs ?? []) {
    if (out.output_type === "stream") types.add(out.name ?? "stdout");
    else if (out.data) { for (const mime of Object.keys(out.data)) types.add(mime); }
  }
  return types;
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/**
 * Checks an executed notebook's outputs against its expectations and for errors.
 *
 * Problems are in cell order; `missing` problems name the cell and the absent MIME types.
 */
export function checkExecutedNotebook(notebook: Notebook): CheckResult {
  const problems: OutputProblem[] = [];
  const outputTypes: Record<string, number> = {};
  let cellsWithExpectations = 0;
  if (!Array.isArray(notebook?.cells)) {
    return {
      ok: false,
      problems: [{ kind: "config", cell: 0, message: "not a notebook: no 'cells' list" }],
      cellsWithExpectations: 0,
      outputTypes,
    };
  }
  notebook.cells.forEach((cell, i) => {
    const label = cellLabel(cell, i);
    for (const out of cell.outputs ?? []) {
      if (out.output_type === "error") {
        const evalue = (out.evalue ?? "").replace(ANSI, "").split("\n")[0];
        problems.push({
          kind: "error",
          cell: i + 1,
          message: `${label} raised ${(out.ename ?? "Error").replace(ANSI, "")}: ${evalue}`,
        });
      }
    }
    const types = outputTypesOf(cell);
    for (const out of cell.outputs ?? []) {
      const keys = out.output_type === "stream"
        ? [out.name ?? "stdout"]
        : Object.keys(out.data ?? {});
      for (const t of keys) outputTypes[t] = (outputTypes[t] ?? 0) + 1;
    }
    const expected = expectations(cell.metadata, label, problems, i + 1);
    if (expected.length === 0) return;
    cellsWithExpectations++;
    if (cell.cell_type !== "code") {
      problems.push({
        kind: "config",
        cell: i + 1,
        message: `${label}: expectations on a ${cell.cell_type} cell`,
      });
      return;
    }
    const missing = expected.filter((t) => !types.has(t));
    if (missing.length > 0) {
      const has = types.size > 0 ? [...types].join(", ") : "no outputs";
      problems.push({
        kind: "missing",
        cell: i + 1,
        message: `${label} is missing ${missing.join(", ")} (has ${has})`,
      });
    }
  });
  const global = expectations(notebook.metadata, "notebook", problems, 0);
  const absent = global.filter((t) => !(t in outputTypes));
  if (absent.length > 0) {
    problems.push({
      kind: "missing",
      cell: 0,
      message: `notebook shows no ${absent.join(", ")} output`,
    });
  }
  return { ok: problems.length === 0, problems, cellsWithExpectations, outputTypes };
}

/** Whether re-executing could fix the problems: only lost outputs, no errors or bad metadata. */
export function worthRetrying(result: CheckResult): boolean {
  return !result.ok && result.problems.every((p) => p.kind === "missing");
}
