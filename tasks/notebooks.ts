/**
 * `deno task notebooks [--scale smoke|small|full] [--out-dir DIR] [names...]`: executes notebooks
 * headlessly, exports HTML and checks each cell's expected outputs (`lib/notebook/run.ts`).
 *
 * Prints one line per notebook and finally `notebooks: N passed, M failed`; exits 1 when any
 * failed, 2 on a usage or setup error.
 *
 * @module
 */
import {
  NOTEBOOK_RUN_DEFAULTS as D,
  resolveNotebookScale,
  runNotebooks,
} from "../lib/notebook/run.ts";
import { SCALE_ENV } from "../lib/notebook/scale.ts";
import { intFlag, parseFlags, runTask } from "../lib/util/cli.ts";

const USAGE = `usage: deno task notebooks [options] [names...]

Executes notebooks/*.ipynb headlessly (nbconvert + the Deno kernel), exports HTML and checks
each cell's expected outputs (cell metadata "eyegan": {"expect": [MIME types]}).

  names              notebooks to run: file names with or without .ipynb, or a prefix
                     such as 00 (default: all, sorted)
  --scale S          smoke | small | full: sets ${SCALE_ENV} for the kernel (default: $${SCALE_ENV},
                     else smoke)
  --out-dir DIR      where executed notebooks and HTML go (default runs/notebooks)
  --notebook-dir DIR where the notebooks are (default notebooks)
  --timeout S        per-cell timeout in seconds (default ${D.timeout})
  --retries N        re-executions when expected outputs are missing (default ${D.retries})
  --no-html          skip the HTML export
  -h, --help         this text`;

const FLAGS = {
  scale: { type: "string" },
  "out-dir": { type: "string", default: D.outDir },
  "notebook-dir": { type: "string", default: D.notebookDir },
  timeout: { type: "string", default: String(D.timeout) },
  retries: { type: "string", default: String(D.retries) },
  "no-html": { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

if (import.meta.main) {
  await runTask("notebooks", USAGE, async () => {
    const { values: v, positionals } = parseFlags(Deno.args, FLAGS, { positionals: true });
    if (v.help) return void console.log(USAGE);
    const { passed, failed } = await runNotebooks(positionals, {
      scale: resolveNotebookScale(v.scale),
      outDir: v["out-dir"],
      notebookDir: v["notebook-dir"],
      timeout: intFlag("timeout", v.timeout),
      retries: intFlag("retries", v.retries, 0),
      html: !v["no-html"],
      onResult: (r) => [r.line, ...r.details].forEach((l) => console.log(l)),
    });
    console.log(`notebooks: ${passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  });
}
