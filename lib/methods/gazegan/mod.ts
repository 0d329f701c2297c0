/**
 * GazeGAN (Sela, Xu, He, Navalpakkam, Lagun, "GazeGAN - Unpaired Adversarial Image Generation
 * for Gaze Estimation", 2017, https://arxiv.org/abs/1711.09767): CycleGAN between synthetic and
 * real eye images with LSGAN, one-sided label smoothing of the generators' targets, and a gaze
 * cycle-consistency loss of a frozen gaze estimator trained on synthetic images. Only the
 * abstract could be verified; the method as implemented follows the project's source article
 * (see `docs` and `/work/shared/reference/papers.md`), with unpublished weights chosen in
 * `config.ts`.
 *
 * | paper | code | meaning |
 * |---|---|---|
 * | X, Y | `x` (synthetic), `y` (real) | [B, H, W, C] in [-1, 1]; paper 128x128 colour |
 * | G: X -> Y, F: Y -> X | `G`, `F` | the two ResNet generators; `refine` = G |
 * | D_Y, D_X | `D_Y`, `D_X` | PatchGAN discriminators of Y and X |
 * | E | `E` (namespace `gaze_E` when loaded) | frozen gaze estimator trained on synthetic images |
 * | LSGAN a, b, c = 0, 1, 0.9 | `adversarial` (`labelSmoothing: "generator"`) | G and F aim at 0.9 |
 * | L_cyc (pixel) | `loss_cyc`, `lambdaCycle` | lambda (|F(G(x)) - x|_1 + |G(F(y)) - y|_1) |
 * | L_gaze-cyc | `loss_gaze`, `gaze.weight`, `gaze.loss` | lambda_gaze d(E(F(G(x))), E(x)) |
 * | identity | `loss_id`, `lambdaIdentity` | CycleGAN's identity term (0.5 lambda) |
 *
 * Logged values: CycleGAN's (`loss_G_adv`, `loss_F_adv`, `loss_cyc`, `loss_id`, `loss_G`,
 * `loss_D_Y`, `loss_D_X`, `lr`) and `loss_gaze`.
 *
 * Timing (CycleGAN's too), wasm backend, 2 threads, on two CPU cores shared with another
 * training run (load 2.6-3; the same first row took 0.39 s at load 1.5), one generator update
 * (G and F: six generator passes with the identity terms, the gaze term through the default
 * estimator at width 0.5) plus one discriminator update, minimum of 2 steps, batch 4 unless
 * noted:
 *
 * | size | G and F | D_Y and D_X | G/F update | D update | step | G on 64 images |
 * |---|---|---|---|---|---|---|
 * | 36x60x1 | c7s1-16, 3 blocks (`quick`) | 16, 34x34 | 0.80-1.03 s | 0.06-0.08 s | 0.86-1.1 s | 0.41 s |
 * | 36x60x1 | same, batch 1 | 16, 34x34 | 0.47 s | 0.04 s | 0.51 s | |
 * | 36x60x1 | same, batch 8 | 16, 34x34 | 1.24 s | 0.08 s | 1.32 s | |
 * | 36x60x1 | c7s1-16, 6 blocks | 16, 34x34 | 1.18 s | 0.06 s | 1.24 s | 0.57 s |
 * | 36x60x1 | c7s1-32, 3 blocks | 32, 34x34 | 1.62 s | 0.10 s | 1.73 s | 1.04 s |
 * | 36x60x1 | c7s1-32, 6 blocks | 32, 34x34 | 2.43 s | 0.10 s | 2.52 s | 1.50 s |
 * | 64x64x3 | c7s1-16, 3 blocks | 16, 70x70 | 1.47 s | 0.13 s | 1.60 s | 0.80 s |
 * | 64x64x3 | same, batch 1 | 16, 70x70 | 0.77 s | 0.09 s | 0.86 s | |
 * | 64x64x3 | c7s1-32, 6 blocks | 32, 70x70 | 4.46 s | 0.24 s | 4.70 s | 3.09 s |
 *
 * The generators cost nearly everything; the discriminators and E are small at these sizes.
 *
 * Measured refinement (36x60x1, the default synthetic and target-domain training sets, E the
 * cached synthetic-trained estimator of the evaluation protocol, 3.4 deg on synthetic test
 * images; 128 held-out synthetic images; 150 steps of the `quick` networks at batch 4, ~1 s a
 * step on the loaded machine, 2.5 minutes): with transposed-conv ups and lr 2e-4, G(x) was
 * still speckled blobs (mean |horizontal gradient| 0.17 against 0.08 for real images) with
 * gaze drift |E(G(x)) - E(x)| of 9.8 deg; with `resize_conv` ups and lr 5e-4 (the `quick`
 * preset) G(x) had the eye's outline, a dark iris in the synthetic iris's place, bright sclera
 * and darker eyelid lines, pixel statistics near the real images' (std 0.49 vs 0.55 real and
 * 0.29 synthetic; gradient 0.076 vs 0.082 real and 0.033 synthetic), gaze drift 8.9 deg and
 * falling (10.3 at step 50), still blurred. Longer runs were not made here; `quick` gives
 * 600 steps with the rate decaying over the last 200.
 *
 * @example
 * ```ts ignore
 * import { initBackend } from "../../backend/mod.ts";
 * import { ImageStream, readImages, streamSource } from "../simgan/mod.ts";
 * import { GAZEGAN_PRESETS, loadGazeGAN } from "./mod.ts";
 * await initBackend({ backend: "wasm" });
 * const syn = await readImages("data/generated/gap-synthetic-train-n10000-s0");
 * const real = await readImages("data/generated/gap-real-train-n10000-s0");
 * const source = streamSource({
 *   synthetic: new ImageStream(syn.images, syn.shape, "syn"),
 *   real: new ImageStream(real.images, real.shape, "real"),
 * });
 * const { steps, ...quick } = GAZEGAN_PRESETS.quick;
 * const gan = await loadGazeGAN(
 *   { ...quick, gaze: { estimator: "runs/estimator/estimator.safetensors" } },
 *   { seed: 7, shape: syn.shape },
 * );
 * for (let i = 0; i < steps; i++) await gan.step(i, source); // {..., loss_gaze, lr}
 * gan.dispose(); // also releases the loaded E
 * ```
 *
 * The whole task is `deno task train-gazegan` (`train.ts`); importing this module registers the
 * refiner loader (G of a run) and the report's sections ({@link loadGazeGANReportSections})
 * for `deno task eval-gaze --refiner RUN`.
 *
 * @module
 */
import { registerRefinerLoader } from "../../eval/refiner.ts";
import { registerRunReportSections } from "../../report/run_report_sections.ts";
import { loadCycleRefiner } from "../cyclegan/load.ts";
import { loadGazeGANReportSections } from "./train.ts";

export * from "./config.ts";
export * from "./model.ts";
export * from "./task_config.ts";
export * from "./train.ts";

// `deno task eval-gaze --refiner RUN` imports this module for gazegan runs and asks for these:
// the refiner to evaluate (G), and the report's sections when it rewrites RUN/report.html.
registerRefinerLoader("gazegan", (runDir) => loadCycleRefiner(runDir));
registerRunReportSections("gazegan", (runDir) => loadGazeGANReportSections(runDir));
