/**
 * Self-contained HTML reports of runs: the {@link Report} builder, number formatting, and the
 * figures and tables every method's report shares (loss curves, %-within-d gaze curves, the
 * evaluation table).
 *
 * @example
 * ```ts ignore
 * import { evalTable, lossCurvesFigure, readJsonl, Report } from "../lib/report/mod.ts";
 * const report = new Report("pix2pix run").heading("Losses");
 * report.plot(lossCurvesFigure(await readJsonl("runs/p2p/metrics.jsonl"), ["loss.G", "loss.D"]));
 * report.heading("Evaluation").table(evalTable(rows));
 * await report.write("runs/p2p/report.html");
 * ```
 *
 * @module
 */
export * from "./format.ts";
export * from "./report.ts";
export * from "./figures.ts";
export * from "./eval_table.ts";
