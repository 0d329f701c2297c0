/**
 * A method's own run-report sections, rebuilt from a run folder: the registry through which each
 * method says how (beside its refiner loader, `registerRefinerLoader` in `lib/eval/refiner.ts`),
 * and {@link writeRunReportWithMethodSections}, which rewrites `RUN/report.html` with them and,
 * when the run holds a `paired_eval.json`, the paired section (used by `deno task eval-gaze`
 * and `deno task eval-pairs` when they write into a run folder).
 *
 * A method registers its builder when its module is imported; the builder loads the model from
 * `RUN/config.json` and `RUN/checkpoints/latest.safetensors`, reads the images its sections show
 * from the run's data sets, and returns the very sections its training task writes (built by one
 * shared function):
 *
 * ```ts ignore
 * // lib/methods/simgan/mod.ts
 * import { registerRunReportSections } from "../../report/run_report_sections.ts";
 * registerRunReportSections("simgan", (runDir) => loadSimganReportSections(runDir));
 * ```
 *
 * @module
 */
import { importMethodModule } from "../eval/refiner.ts";
import { readRunConfig, runPaths } from "../train/run.ts";
import { PAIRED_SECTION_HEADING, pairedEvalSection, readRunPairedEval } from "./paired_section.ts";
import {
  type OmittedSection,
  type RunReportOptions,
  type RunReportSection,
  writeRunReport,
} from "./run_report.ts";

/** What a {@link RunReportSectionsBuilder} returns. */
export interface MethodReportSections {
  /** The title the training task gives the report (default: `writeRunReport`'s). */
  title?: string;
  /** The method's sections, as the training task writes them. */
  sections: RunReportSection[];
  /** Frees the loaded model; called once the report is built (or its building failed). */
  dispose(): void;
}

/** Builds a method's report sections from one of its run folders. */
export type RunReportSectionsBuilder = (runDir: string) => Promise<MethodReportSections>;

const builders = new Map<string, RunReportSectionsBuilder>();

/**
 * Registers how the report sections of `method` runs are rebuilt (call it at the top level of
 * the method's module, beside `registerRefinerLoader`). Registering the same method again
 * replaces the builder.
 *
 * @param method the method name as written in `config.json` (`simgan`, `cyclegan`, ...).
 * @param builder loads the model of a run folder and returns its sections.
 */
export function registerRunReportSections(method: string, builder: RunReportSectionsBuilder): void {
  if (!/^[A-Za-z0-9_-]+$/.test(method)) {
    throw new RangeError(`registerRunReportSections: bad method name '${method}'`);
  }
  builders.set(method, builder);
}

/** The methods with registered report sections, sorted. */
export function registeredRunReportMethods(): string[] {
  return [...builders.keys()].sort();
}

/**
 * The method sections of a run folder: reads `RUN/config.json`'s method, imports the method's
 * module ({@link importMethodModule}) and calls its registered builder.
 *
 * @returns the sections (the caller disposes them), or `undefined` when the method registers
 *   none.
 * @throws when `runDir` is not a run folder, or the builder fails (the model or the data sets
 *   cannot be read).
 */
export async function loadRunReportSections(
  runDir: string,
): Promise<(MethodReportSections & { method: string }) | undefined> {
  const { method } = await readRunConfig(runDir);
  if (!builders.has(method)) await importMethodModule(method);
  const builder = builders.get(method);
  if (!builder) return undefined;
  return { ...(await builder(runDir)), method };
}

/** What {@link writeRunReportWithMethodSections} wrote. */
export interface RunReportWithSectionsResult {
  /** The path written. */
  path: string;
  /** Headings of the sections included, in order. */
  sections: string[];
  /** Sections left out for lack of data. */
  omitted: OmittedSection[];
  /** The run's method (absent when the folder has no `config.json`). */
  method?: string;
  /** Headings of the method's own sections included (none when the method registers none). */
  methodSections: string[];
  /**
   * Set when the method's sections could not be built (model or data sets unreadable, a section
   * failing): the report was written without them, and this says why.
   */
  note?: string;
}

/**
 * Writes the run report (`writeRunReport`) with the method's own sections, rebuilt from the run
 * folder ({@link loadRunReportSections}), and frees the loaded model. A folder without
 * `config.json` (e.g. an evaluation's own output folder) and a method that registers no sections
 * get the plain report. If the sections cannot be built, the report is written without them and
 * `note` says why: the report (and so the evaluation it shows) is never lost to them.
 *
 * When the folder holds a `paired_eval.json` (`deno task eval-pairs`) and the method's sections
 * have no "Paired metrics" section of their own (pix2pix's have), the shared paired section
 * (`lib/report/paired_section.ts`: pixel metrics, and the segmentation and realism scores when
 * the file has them) is placed after the method's sections; a file that cannot be read gives a
 * section saying so. Without a `paired_eval.json` the report is exactly as before.
 *
 * @param runDir the run folder.
 * @param options as `writeRunReport`'s; `title` and `extraSections` (placed after the method's
 *   and the paired section) are the caller's to add.
 */
export async function writeRunReportWithMethodSections(
  runDir: string,
  options: RunReportOptions = {},
): Promise<RunReportWithSectionsResult> {
  const paired = await readRunPairedEval(runDir);
  /** `options` with the paired section after `own` (unless `own` has one), then the caller's. */
  const withPaired = (own: readonly RunReportSection[]): RunReportOptions => {
    const add = paired !== undefined && !own.some((s) => s.heading === PAIRED_SECTION_HEADING);
    if (own.length === 0 && !add) return options;
    return {
      ...options,
      extraSections: [
        ...own,
        ...(add ? [pairedEvalSection(paired)] : []),
        ...(options.extraSections ?? []),
      ],
    };
  };
  const hasConfig = await Deno.stat(runPaths(runDir).config).then((s) => s.isFile, () => false);
  if (!hasConfig) return { ...(await writeRunReport(runDir, withPaired([]))), methodSections: [] };
  let method: string | undefined;
  let failure: unknown;
  try {
    method = (await readRunConfig(runDir)).method;
    const loaded = await loadRunReportSections(runDir);
    if (!loaded) {
      return { ...(await writeRunReport(runDir, withPaired([]))), method, methodSections: [] };
    }
    try {
      const written = await writeRunReport(runDir, {
        ...(loaded.title !== undefined ? { title: loaded.title } : {}),
        ...withPaired(loaded.sections),
      });
      return { ...written, method, methodSections: loaded.sections.map((s) => s.heading) };
    } finally {
      loaded.dispose();
    }
  } catch (e) {
    failure = e;
  }
  const written = await writeRunReport(runDir, withPaired([]));
  const note = `note: ${written.path} was written without the ${
    method ?? "method"
  } run's own sections (e.g. its refinement grids), which could not be rebuilt from ${runDir}: ${
    (failure as Error)?.message ?? String(failure)
  }`;
  return { ...written, ...(method !== undefined ? { method } : {}), methodSections: [], note };
}
