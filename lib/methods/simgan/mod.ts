/**
 * SimGAN (Shrivastava et al., "Learning from Simulated and Unsupervised Images through
 * Adversarial Training", CVPR 2017, https://arxiv.org/abs/1612.07828): a refiner turns
 * synthetic eye images into realistic ones, trained against a local (per-patch) discriminator
 * and held close to its input by a self-regularisation term; the discriminator also sees
 * refined images from a history buffer.
 *
 * | paper | code | meaning |
 * |---|---|---|
 * | x | `synthetic` | synthetic (simulator) image, [B, H, W, C] in [-1, 1] |
 * | y | `real` | real (target-domain) image |
 * | R_theta | `R` (namespace `R`, `simgan_refiner`) | refiner, tanh output |
 * | x~ = R_theta(x) | `refined` | refined image |
 * | D_phi | `D` (namespace `D`, `simgan_discriminator`) | local discriminator, logits [B, h, w, 2]; class 0 refined, 1 real |
 * | l_real | `loss_R_adv` | refiner's local adversarial loss |
 * | l_reg, lambda | `loss_R_reg`, `lambda` | self-regularisation and its weight |
 * | psi | `psi` (`identity`, `gradients`, `stats`, `features`) | feature map of l_reg |
 * | L_R | `loss_R` | loss_R_adv + loss_R_reg |
 * | L_D | `loss_D` | discriminator's local cross-entropy |
 * | B (buffer) | `history`, `bufferSize` | history of refined images |
 * | b | `batchSize` | mini-batch size |
 * | K_g, K_d | `kG`, `kD` | refiner / discriminator updates per step |
 *
 * Logged values: `loss_R_adv`, `loss_R_reg`, `loss_R`, `loss_D`, `acc_real` (real patches
 * called real), `acc_refined` (refined patches called refined).
 *
 * Timing, wasm backend, 36x60x1, batch 32, two CPU cores shared with other jobs (load 2.5-3.5,
 * so an idle machine is faster), one refiner update + one discriminator update (B/2 real,
 * B/4 current, B/4 history):
 *
 * | R (maps x blocks) | D widths | R update | D update | R + D |
 * |---|---|---|---|---|
 * | 64 x 4 (paper) | 96-64-32-32 (paper) | 4.1 s | 0.37 s | 4.5 s (9.2 s at batch 64) |
 * | 32 x 2 | 48-32-32-32 | 0.90 s | 0.15 s | 1.05 s |
 * | 24 x 2 | 32-32-16-16 | 0.52 s | 0.09 s | 0.60 s |
 * | 16 x 2 (`quick`) | 32-32-16-16 | 0.30 s | 0.07 s | 0.37 s |
 *
 * An adversarial step of `quick` (Kg = 2, Kd = 1) takes about 0.67 s; its 700 steps
 * (100 R + 30 D pretraining) took 344 s on the loaded machine, and refining 2,000 images
 * afterwards 2.7 s. On 1,800 synthetic and 2,000 target-domain images the iris darkens and the
 * eyelid lines, sclera and skin gain contrast and texture from about step 300 on, with the iris
 * kept in place; D stays at 80-85 % patch accuracy (no collapse), and mean |R(x) - x| grows
 * from 0.04 after pretraining to 0.3 at step 700. GAN artefacts (horizontal stripes) came and
 * went around step 400 in one run.
 *
 * @example
 * ```ts ignore
 * import * as tf from "@tensorflow/tfjs-core";
 * import { initBackend } from "../../backend/mod.ts";
 * import { ImageStream, readImages, SIMGAN_PRESETS, SimGAN, streamSource } from "./mod.ts";
 * await initBackend({ backend: "wasm" });
 * const syn = await readImages("data/generated/syn-train");
 * const real = await readImages("data/generated/real-train");
 * const source = streamSource({
 *   synthetic: new ImageStream(syn.images, syn.shape, "syn"),
 *   real: new ImageStream(real.images, real.shape, "real"),
 * });
 * const { steps, ...quick } = SIMGAN_PRESETS.quick;
 * const gan = SimGAN.create(quick, { seed: 7, shape: syn.shape });
 * for (let i = 0; i < steps; i++) {
 *   const values = await gan.step(i, source); // { loss_R_adv, loss_R_reg, loss_R, loss_D, ... }
 *   if (i % 50 === 0) console.log(i, gan.phase(i), values);
 * }
 * const x = source.synthetic(16) as tf.Tensor4D;
 * const refined = gan.refine(x); // [16, H, W, C] in [-1, 1]
 * tf.dispose([x, refined]);
 * gan.dispose();
 * ```
 *
 * The whole task (data, training, evaluation, report) is {@link trainSimGAN} (`train.ts`,
 * `deno task train-simgan`); importing this module registers SimGAN's refiner loader
 * ({@link loadSimganRefiner}) and report section ({@link loadSimganReportSections}) for
 * `deno task eval-gaze --refiner RUN`.
 *
 * @module
 */
import { registerRefinerLoader } from "../../eval/refiner.ts";
import { registerRunReportSections } from "../../report/run_report_sections.ts";
import { loadSimganRefiner } from "./refiner.ts";
import { loadSimganReportSections } from "./report.ts";

export * from "./config.ts";
export * from "./data.ts";
export * from "./load.ts";
export * from "./model.ts";
export * from "./refiner.ts";
export * from "./report.ts";
export * from "./samples.ts";
export * from "./source.ts";
export * from "./task_config.ts";
export * from "./train.ts";
export { assertFinite, updateWithValues } from "./steps.ts";

// `deno task eval-gaze --refiner RUN` imports this module for SimGAN runs and asks for these:
// the refiner to evaluate, and the report's SimGAN section when it rewrites RUN/report.html.
registerRefinerLoader("simgan", (runDir) => loadSimganRefiner(runDir));
registerRunReportSections("simgan", (runDir) => loadSimganReportSections(runDir));
