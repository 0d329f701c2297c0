/**
 * The run report's "Paired metrics" section (`lib/eval/paired.ts`'s `RUN/paired_eval.json`),
 * shared by every method: pix2pix writes it at training time (`pix2pixReportSections`), and
 * `writeRunReportWithMethodSections` appends it to the report of any run folder holding a
 * `paired_eval.json` whose method's own sections do not include it (SimGAN, CycleGAN,
 * GazeGAN runs evaluated with `deno task eval-pairs --refiner RUN`).
 *
 * The section shows the pixel metrics (L1, PSNR, SSIM of G(x) and, with a synthetic input, of
 * the raw renders against the ground-truth twins) and, when the file has them, the
 * segmentation score (S on G(x), on the raw renders, on the twins) and the realism score
 * (held-out accuracy of a twins-vs-G(x) classifier, and of a twins-vs-raw-renders one), each
 * table followed by its definition. A file without segmentation or realism (as training writes
 * it) gives exactly the pixel table and its definitions.
 *
 * @module
 */
import {
  PAIRED_DEFINITIONS,
  PAIRED_EVAL_FILE,
  type PairedEvalFile,
  pairedRealismRows,
  pairedRows,
  pairedSegmentationRows,
  readPairedEval,
  REALISM_DEFINITION,
  SEGMENTATION_DEFINITION,
} from "../eval/paired.ts";
import { runPaths } from "../train/run.ts";
import type { Report } from "./report.ts";
import type { RunReportSection } from "./run_report.ts";

/** The heading of the paired evaluation's report section. */
export const PAIRED_SECTION_HEADING = "Paired metrics";

/**
 * The report's section of a paired evaluation: the pixel-metrics table and their definitions
 * and, when the file has them, the segmentation and realism tables with theirs.
 */
export function pairedSection(
  file: PairedEvalFile,
): { heading: string; build: (r: Report) => void } {
  return {
    heading: PAIRED_SECTION_HEADING,
    build: (report: Report) => {
      report.table({
        columns: ["images", "L1 ([-1, 1])", "PSNR (dB)", "SSIM", "pairs"],
        rows: pairedRows(file).map((r) => [r.images, r.l1, r.psnr, r.ssim, r.n]),
      }, {
        caption: `Against the ground-truth twins of ${file.data.dir} (held out from training)`,
        digits: 4,
      });
      report.paragraph(
        `L1: ${PAIRED_DEFINITIONS.l1}. PSNR: ${PAIRED_DEFINITIONS.psnr}. SSIM: ` +
          `${PAIRED_DEFINITIONS.ssim}.`,
      );
      const seg = pairedSegmentationRows(file);
      if (seg.length > 0) {
        const sg = file.segmentation!.segmenter;
        report.table({
          columns: ["images", "pixel acc.", "class acc.", "class IoU"],
          rows: seg.map((r) => [r.images, r.pixelAccuracy, r.classAccuracy, r.classIou]),
        }, {
          caption: `Segmentation score (FCN-score) against the pairs' class maps; segmenter ` +
            `${sg.key} (${sg.config.steps} steps on ${sg.train})`,
          digits: 4,
        });
        report.paragraph(
          `Segmentation score: ${SEGMENTATION_DEFINITION}.`,
        );
      }
      const real = pairedRealismRows(file);
      if (real.length > 0) {
        const c = file.realism!.classifier;
        report.table({
          columns: ["images", "held-out accuracy", "± s.e.", "n"],
          rows: real.map((r) => [r.images, r.accuracy, r.stdError, r.n]),
        }, {
          caption: `Realism score: a classifier of the ground-truth twins (real) against each ` +
            `(0.5 = indistinguishable, lower is more realistic; ${c.steps} steps, seed ` +
            `${c.seed}, split by pair)`,
          digits: 3,
        });
        report.paragraph(`Realism score: ${REALISM_DEFINITION}.`);
      }
    },
  };
}

/**
 * The "Paired metrics" section of a paired evaluation, or, for an error, the section saying
 * that `paired_eval.json` could not be read and why.
 */
export function pairedEvalSection(paired: PairedEvalFile | Error): RunReportSection {
  if (paired instanceof Error) {
    return {
      heading: PAIRED_SECTION_HEADING,
      build: (report: Report) =>
        void report.paragraph(`${PAIRED_EVAL_FILE} could not be read: ${paired.message}`),
    };
  }
  return pairedSection(paired);
}

/**
 * The paired evaluation of a run folder: `RUN/paired_eval.json` read, the error when it exists
 * but cannot be read, `undefined` when there is none.
 */
export async function readRunPairedEval(
  runDir: string,
): Promise<PairedEvalFile | Error | undefined> {
  const file = `${runPaths(runDir).dir}/${PAIRED_EVAL_FILE}`;
  const exists = await Deno.stat(file).then(() => true, () => false);
  if (!exists) return undefined;
  return await readPairedEval(file).catch((e: unknown) =>
    e instanceof Error ? e : new Error(String(e))
  );
}
