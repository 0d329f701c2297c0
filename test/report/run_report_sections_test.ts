/**
 * The registry of methods' run-report sections and `writeRunReportWithMethodSections`: the
 * registered sections are written and the model disposed; a builder or a section that fails
 * leaves a report without them and a note; folders without `config.json` and methods without
 * sections get the plain report. (The real methods' sections: the task tests in `test/methods/`.)
 */
import assert from "node:assert/strict";
import {
  loadRunReportSections,
  registeredRunReportMethods,
  registerRunReportSections,
  writeRunReportWithMethodSections,
} from "../../lib/report/run_report_sections.ts";
import { toyRun } from "./fake_runs.ts";

function headings(html: string): string[] {
  return [...html.matchAll(/<h2 id="[^"]*">([^<]*)<\/h2>/g)].map((m) => m[1]);
}

Deno.test("run report sections: registered ones written, model disposed; failures leave a note", async () => {
  const root = await Deno.makeTempDir({ prefix: "eyegan-run-report-sections-" });
  try {
    let disposed = 0;
    registerRunReportSections("toy_ok", (runDir) =>
      Promise.resolve({
        title: `Toy run ${runDir.replace(/^.*\//, "")}`,
        sections: [{ heading: "Toy grid", build: (r) => void r.paragraph("toy <grid>") }],
        dispose: () => void disposed++,
      }));
    registerRunReportSections("toy_broken", () => Promise.reject(new Error("no checkpoint here")));
    registerRunReportSections("toy_section_fails", () =>
      Promise.resolve({
        sections: [{
          heading: "Toy grid",
          build: () => Promise.reject(new Error("images gone")),
        }],
        dispose: () => void disposed++,
      }));
    assert.throws(() => registerRunReportSections("../x", () => Promise.reject()), RangeError);
    assert.ok(registeredRunReportMethods().includes("toy_ok"));

    // registered: the sections, after the caller's options, and the method's title
    await toyRun(`${root}/ok`, "toy_ok");
    const ok = await writeRunReportWithMethodSections(`${root}/ok`, {
      extraSections: [{ heading: "Caller", build: (r) => void r.paragraph("x") }],
    });
    assert.equal(ok.path, `${root}/ok/report.html`);
    assert.equal(ok.method, "toy_ok");
    assert.equal(ok.note, undefined);
    assert.deepEqual(ok.methodSections, ["Toy grid"]);
    assert.equal(disposed, 1, "the model is disposed once the report is written");
    let html = await Deno.readTextFile(ok.path);
    assert.deepEqual(headings(html), ["Configuration", "Toy grid", "Caller", "Environment"]);
    assert.ok(html.includes("<title>Toy run ok</title>"));
    assert.ok(html.includes("toy &lt;grid&gt;"));

    // the builder fails: the plain report, and a note naming the method and the reason
    await toyRun(`${root}/broken`, "toy_broken");
    const broken = await writeRunReportWithMethodSections(`${root}/broken`);
    assert.deepEqual(broken.methodSections, []);
    assert.match(broken.note ?? "", /report\.html was written without the toy_broken run's own/);
    assert.match(broken.note ?? "", /no checkpoint here/);
    html = await Deno.readTextFile(`${root}/broken/report.html`);
    assert.deepEqual(headings(html), ["Configuration", "Environment"]);

    // a section fails while the report is built: the same, and the model is still disposed
    await toyRun(`${root}/fails`, "toy_section_fails");
    const fails = await writeRunReportWithMethodSections(`${root}/fails`);
    assert.match(fails.note ?? "", /images gone/);
    assert.equal(disposed, 2);
    html = await Deno.readTextFile(`${root}/fails/report.html`);
    assert.deepEqual(headings(html), ["Configuration", "Environment"]);

    // a method without sections, and a folder that is no run: the plain report, no note
    await toyRun(`${root}/plain`, "toy_without_sections");
    assert.equal(await loadRunReportSections(`${root}/plain`), undefined);
    const plain = await writeRunReportWithMethodSections(`${root}/plain`);
    assert.equal(plain.note, undefined);
    assert.equal(plain.method, "toy_without_sections");
    assert.deepEqual(plain.methodSections, []);
    await Deno.mkdir(`${root}/eval-out`);
    const noRun = await writeRunReportWithMethodSections(`${root}/eval-out`);
    assert.equal(noRun.note, undefined);
    assert.equal(noRun.method, undefined);
    assert.ok((await Deno.stat(`${root}/eval-out/report.html`)).isFile);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
