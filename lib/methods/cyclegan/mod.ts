/**
 * CycleGAN (Zhu, Park, Isola, Efros, "Unpaired Image-to-Image Translation using
 * Cycle-Consistent Adversarial Networks", ICCV 2017, https://arxiv.org/abs/1703.10593): two
 * generators translate between the synthetic domain X and the real domain Y, each judged by a
 * PatchGAN discriminator of its target domain, and held to their inputs by the cycle
 * consistency F(G(x)) ~ x, G(F(y)) ~ y instead of paired data.
 *
 * | paper | code | meaning |
 * |---|---|---|
 * | X | `synthetic`, `x` | synthetic (simulator) images, [B, H, W, C] in [-1, 1] |
 * | Y | `real`, `y` | real (target-domain) images, the same size |
 * | G: X -> Y | `G` (namespace `G`, `resnet_generator`) | synthetic to real; {@link CycleGAN.translate}, {@link CycleGAN.refine} |
 * | F: Y -> X | `F` (namespace `F`, `resnet_generator`) | real to synthetic; {@link CycleGAN.translateBack} |
 * | D_Y | `D_Y` (`patchgan_discriminator`) | real y vs G(x), one logit per 70x70 patch |
 * | D_X | `D_X` (`patchgan_discriminator`) | synthetic x vs F(y) |
 * | L_GAN(G, D_Y) | `loss_G_adv` (G's side), `loss_D_Y` (D_Y's side, halved) | adversarial loss X -> Y |
 * | L_GAN(F, D_X) | `loss_F_adv`, `loss_D_X` | adversarial loss Y -> X |
 * | lambda L_cyc | `loss_cyc`, `lambdaCycle` (10) | lambda (|F(G(x)) - x|_1 + |G(F(y)) - y|_1) |
 * | L_identity | `loss_id`, `lambdaIdentity` (0.5, times lambda) | 0.5 lambda (|G(y) - y|_1 + |F(x) - x|_1) |
 * | a, b, c | `adversarial.a`, `.b`, `.c` | LSGAN targets: fake 0, real 1, generator's 1 |
 * | image buffer of 50 | `poolY`, `poolX`, `poolSize` | generated images shown to D_Y / D_X again |
 *
 * Logged values: `loss_G_adv`, `loss_F_adv`, `loss_cyc`, `loss_id`, `loss_G` (their sum),
 * `loss_D_Y`, `loss_D_X`, `lr`.
 *
 * `--generator.downsamplings` and `--discriminator.receptiveField` too big for the data's images
 * are refused before the run folder is made ({@link checkCycleGANGeometry}; at 36x60:
 * downsamplings <= 5, receptive field <= 70), by `train-cyclegan` and `train-gazegan` alike.
 *
 * Timing: see `lib/methods/gazegan/mod.ts` (GazeGAN's step is CycleGAN's plus the estimator).
 *
 * @example
 * ```ts ignore
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../../backend/mod.ts";
 * import { ImageStream, readImages, streamSource } from "../simgan/mod.ts";
 * import { CYCLEGAN_PRESETS, CycleGAN } from "./mod.ts";
 * await initBackend({ backend: "wasm" });
 * const syn = await readImages("data/generated/gap-synthetic-train-n10000-s0");
 * const real = await readImages("data/generated/gap-real-train-n10000-s0");
 * const source = streamSource({
 *   synthetic: new ImageStream(syn.images, syn.shape, "syn"),
 *   real: new ImageStream(real.images, real.shape, "real"),
 * });
 * const { steps, ...quick } = CYCLEGAN_PRESETS.quick;
 * const gan = CycleGAN.create(quick, { seed: 7, shape: syn.shape });
 * for (let i = 0; i < steps; i++) {
 *   const values = await gan.step(i, source); // { loss_G_adv, ..., loss_D_Y, loss_D_X, lr }
 *   if (i % 50 === 0) console.log(i, values);
 * }
 * const x = source.synthetic(16) as tf.Tensor4D;
 * const refined = gan.refine(x); // G(x), [16, H, W, C] in [-1, 1]
 * tf.dispose([x, refined]);
 * gan.dispose();
 * ```
 *
 * The whole task is `deno task train-cyclegan` (`train.ts`); importing this module registers the
 * refiner loader (G of a run) and the report's sections (`report.ts`) for
 * `deno task eval-gaze --refiner RUN`.
 *
 * @module
 */
import { registerRefinerLoader } from "../../eval/refiner.ts";
import { registerRunReportSections } from "../../report/run_report_sections.ts";
import { loadCycleRefiner } from "./load.ts";
import { loadCycleReportSections } from "./report.ts";

export * from "./config.ts";
export * from "./load.ts";
export * from "./model.ts";
export * from "./report.ts";
export * from "./task_config.ts";
export * from "./train.ts";

// `deno task eval-gaze --refiner RUN` imports this module for cyclegan runs and asks for these:
// the refiner to evaluate (G), and the report's sections when it rewrites RUN/report.html.
registerRefinerLoader("cyclegan", (runDir) => loadCycleRefiner(runDir));
registerRunReportSections("cyclegan", (runDir) => loadCycleReportSections(runDir));
