/**
 * End to end: `tasks/notebooks.ts` on three tiny notebooks in a temp folder (pass, pass after a
 * retry, fail; skipped where Jupyter or the Deno kernel is not installed), and the selection of
 * notebooks by name.
 */
import assert from "node:assert/strict";
import { matchNotebooks } from "../../lib/notebook/run.ts";
import { SetupError } from "../../lib/util/cli.ts";

const JUPYTER = "/usr/bin/jupyter";
const TASK = new URL("../../tasks/notebooks.ts", import.meta.url).pathname;

async function haveDenoKernel(): Promise<boolean> {
  try {
    const out = await new Deno.Command(JUPYTER, {
      args: ["kernelspec", "list", "--json"],
      stderr: "null",
    })
      .output();
    return out.code === 0 &&
      "deno" in (JSON.parse(new TextDecoder().decode(out.stdout)).kernelspecs ?? {});
  } catch {
    return false;
  }
}

const PNG_1X1 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==";
const SETTLE = "await new Promise((r) => setTimeout(r, 150));";

function notebook(cells: { source: string; expect?: string[] }[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    cells: cells.map((c, i) => ({
      cell_type: "code",
      id: `c${i + 1}`,
      source: c.source,
      metadata: c.expect ? { eyegan: { expect: c.expect } } : {},
      outputs: [],
      execution_count: null,
    })),
  });
}

Deno.test({
  name: "deno task notebooks: passes, retries lost outputs, fails naming the cell",
  ignore: !(await haveDenoKernel()),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "eyegan-nb-" });
    try {
      await Deno.mkdir(`${dir}/nb`);
      await Deno.writeTextFile(
        `${dir}/nb/a_ok.ipynb`,
        notebook([{
          source: `await Deno.jupyter.display({ "text/markdown": "**scale " + ` +
            `Deno.env.get("EYEGAN_NOTEBOOK_SCALE") + "**" }, { raw: true });\n${SETTLE}`,
          expect: ["text/markdown"],
        }]),
      );
      // Shows its image only from the second execution on: a deterministic "lost output".
      await Deno.writeTextFile(
        `${dir}/nb/b_flaky.ipynb`,
        notebook([{
          source: `try {\n  Deno.statSync("ran-once");\n  await Deno.jupyter.display(` +
            `{ "image/png": "${PNG_1X1}", "text/plain": "img" }, { raw: true });\n` +
            `} catch {\n  Deno.writeTextFileSync("ran-once", "");\n}\n${SETTLE}`,
          expect: ["image/png"],
        }]),
      );
      await Deno.writeTextFile(
        `${dir}/nb/c_bad.ipynb`,
        notebook([
          { source: `console.log("no image here");\n${SETTLE}`, expect: ["image/png"] },
          { source: `throw new Error("boom");` },
        ]),
      );
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-run=/usr/bin/jupyter",
          "--allow-read",
          `--allow-write=${dir}`,
          "--allow-env",
          TASK,
          "--notebook-dir",
          `${dir}/nb`,
          "--out-dir",
          `${dir}/out`,
          "--scale",
          "smoke",
          "--retries",
          "1",
        ],
        env: { NO_COLOR: "1" },
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 1, text);
      const lines = text.trimEnd().split("\n");
      assert.match(
        lines.find((l) => l.includes("a_ok"))!,
        /^PASS a_ok \(.*scale smoke;.*\+ \.html$/,
        text,
      );
      assert.match(lines.find((l) => l.includes("b_flaky"))!, /^PASS b_flaky \(.*1 retry;/, text);
      assert.match(
        text,
        /retried after run 1: cell 1 \[id c1\] .* is missing image\/png \(has no outputs\)/,
      );
      assert.match(
        lines.find((l) => l.includes("c_bad"))!,
        /^FAIL c_bad: cell 2 \[id c2\] \("throw new Error\(\\"boom\\"\);"\) raised Error: boom \(\+1 more\)/,
        text,
      );
      assert.match(text, /cell 1 \[id c1\] .* is missing image\/png \(has stdout\)/);
      assert.equal(lines.at(-1), "notebooks: 2 passed, 1 failed");
      // The committed (here: source) notebooks are untouched; outputs and HTML are in out/.
      const executed = JSON.parse(await Deno.readTextFile(`${dir}/out/a_ok.ipynb`));
      assert.match(JSON.stringify(executed.cells[0].outputs), /\*\*scale smoke\*\*/);
      assert.ok((await Deno.stat(`${dir}/out/a_ok.html`)).size > 1000);
      const source = JSON.parse(await Deno.readTextFile(`${dir}/nb/a_ok.ipynb`));
      assert.deepEqual(source.cells[0].outputs, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("matchNotebooks: all sorted, by name or prefix, unknown names are setup errors", () => {
  const all = ["01_data.ipynb", "00_backends.ipynb", "10_simgan.ipynb"];
  assert.deepEqual(matchNotebooks(all, []), [
    "00_backends.ipynb",
    "01_data.ipynb",
    "10_simgan.ipynb",
  ]);
  assert.deepEqual(matchNotebooks(all, ["01_data"]), ["01_data.ipynb"]);
  assert.deepEqual(matchNotebooks(all, ["notebooks/01_data.ipynb", "0"]), [
    "00_backends.ipynb",
    "01_data.ipynb",
  ]);
  assert.throws(
    () => matchNotebooks(all, ["99"]),
    (e) =>
      e instanceof SetupError && /no notebook matches '99' \(have: 00_backends/.test(e.message),
  );
});
