import assert from "node:assert/strict";
import {
  cellLabel,
  checkExecutedNotebook,
  type Notebook,
  type NotebookCell,
  worthRetrying,
} from "../../lib/notebook/check.ts";

const PLOTLY = "application/vnd.plotly.v1+json";

function code(
  id: string,
  source: string,
  outputs: NotebookCell["outputs"],
  expect?: unknown,
): NotebookCell {
  return {
    cell_type: "code",
    id,
    source: source.split(/(?<=\n)/),
    metadata: expect === undefined ? {} : { eyegan: { expect } },
    outputs,
    execution_count: 1,
  };
}

const image = { output_type: "display_data", data: { "image/png": "iVBOR", "text/plain": "img" } };
const plot = {
  output_type: "display_data",
  data: { [PLOTLY]: { data: [], layout: {} }, "text/html": "<div></div>", "text/plain": "fig" },
};

/** A hand-made executed notebook: markdown, an image cell, a plot cell, a log cell. */
function executed(): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "deno" }, eyegan: { expect: ["image/png"] } },
    cells: [
      { cell_type: "markdown", id: "intro", source: ["# Title\n"], metadata: {} },
      code("img", "// show eyes\nawait showImages(eyes);\n", [image], ["image/png"]),
      code("plot", "await showPlot(fig);", [plot], [PLOTLY, "text/html"]),
      code("log", "console.log(1);", [{ output_type: "stream", name: "stdout", text: ["1\n"] }], [
        "stdout",
      ]),
    ],
  };
}

Deno.test("passes when every expected output is present", () => {
  const r = checkExecutedNotebook(executed());
  assert.deepEqual(r.problems, []);
  assert.equal(r.ok, true);
  assert.equal(r.cellsWithExpectations, 3);
  assert.equal(r.outputTypes["image/png"], 1);
  assert.equal(r.outputTypes[PLOTLY], 1);
  assert.equal(r.outputTypes["text/plain"], 2);
  assert.equal(r.outputTypes.stdout, 1);
});

Deno.test("fails naming the cell and the missing MIME type (lost output), worth a retry", () => {
  const nb = executed();
  nb.cells[2].outputs = [{ output_type: "display_data", data: { "text/plain": "fig" } }];
  const r = checkExecutedNotebook(nb);
  assert.equal(r.ok, false);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0].kind, "missing");
  assert.equal(r.problems[0].cell, 3);
  assert.equal(
    r.problems[0].message,
    `cell 3 [id plot] ("await showPlot(fig);") is missing ${PLOTLY}, text/html (has text/plain)`,
  );
  assert.equal(worthRetrying(r), true);
});

Deno.test("a cell without any output and the notebook-level expectation are reported", () => {
  const nb = executed();
  nb.cells[1].outputs = [];
  const r = checkExecutedNotebook(nb);
  assert.deepEqual(r.problems.map((p) => [p.cell, p.message]), [
    [2, `cell 2 [id img] ("// show eyes") is missing image/png (has no outputs)`],
    [0, "notebook shows no image/png output"],
  ]);
});

Deno.test("a cell error fails with the error name and message, and is not worth a retry", () => {
  const nb = executed();
  nb.cells[3].outputs!.push({
    output_type: "error",
    ename: "\u001b[31mTypeError",
    evalue: "x is not a function\n    at <anonymous>",
    traceback: ["..."],
  });
  const r = checkExecutedNotebook(nb);
  assert.equal(r.ok, false);
  assert.deepEqual(r.problems.map((p) => [p.kind, p.message]), [
    ["error", `cell 4 [id log] ("console.log(1);") raised TypeError: x is not a function`],
  ]);
  assert.equal(worthRetrying(r), false);
});

Deno.test("malformed expectations are configuration problems", () => {
  const nb = executed();
  nb.cells[1].metadata = { eyegan: { expect: "image/png" } };
  nb.cells[0].metadata = { eyegan: { expect: ["text/plain"] } };
  const r = checkExecutedNotebook(nb);
  assert.deepEqual(r.problems.map((p) => p.kind), ["config", "config"]);
  assert.match(r.problems[0].message, /cell 1 .*expectations on a markdown cell/);
  assert.match(r.problems[1].message, /cell 2 .*must be a list of MIME types, got "image\/png"/);
  assert.equal(worthRetrying(r), false);
  assert.equal(checkExecutedNotebook({} as Notebook).ok, false);
});

Deno.test("cellLabel shortens long first lines and skips blank ones", () => {
  const cell = code("", `\n\n${"x".repeat(80)}\n`, []);
  delete cell.id;
  assert.equal(cellLabel(cell, 6), `cell 7 ("${"x".repeat(57)}...")`);
});
