/**
 * pix2pix (Isola, Zhu, Zhou, Efros, "Image-to-Image Translation with Conditional Adversarial
 * Networks", CVPR 2017, https://arxiv.org/abs/1611.07004): a U-Net G learns x -> y from aligned
 * pairs, judged by a conditional PatchGAN D that sees x with G(x) or with y, and held to the
 * ground truth by lambda |G(x) - y|_1.
 *
 * | paper | code | meaning |
 * |---|---|---|
 * | x | `x` | input: a synthetic render (`--pairs twins`) or an encoded semantic map (`maps`) |
 * | y | `y` | its ground truth: the target-domain twin (`images.npy` of a paired set) |
 * | G | `G` (namespace `G`, `unet_generator`) | U-Net, dropout kept on at test; {@link Pix2Pix.translate} |
 * | D | `D` (namespace `D`, `patchgan_discriminator`) | 70x70 PatchGAN on [x, G(x)] / [x, y] |
 * | L_cGAN(G, D) | `loss_G_adv` (G's side, times `adversarial.weight`), `loss_D` (halved) | non-saturating BCE |
 * | lambda L_L1(G) | `loss_L1`, `lambdaL1` (100) | lambda E|G(x) - y| (`l1`: unweighted) |
 * | z | none | dropout is G's only noise (`generator.dropoutAtTest`) |
 *
 * Logged values: `loss_G_adv`, `loss_L1`, `loss_G` (their sum), `l1`, `loss_D` (unless the
 * adversarial weight is 0), `lr`.
 *
 * Ablations of the paper, as flags of `deno task train-pix2pix`: `--objective l1`
 * (`--adversarial.weight 0`), `--objective cgan` (`--lambdaL1 0`), `--generator.skips false`
 * (encoder-decoder), `--discriminator.receptiveField 1|16|34|70|142|286`,
 * `--discriminator.conditional false`. See `docs/pix2pix.md`. A `--generator.depth` or (when D is
 * trained) a `--discriminator.receptiveField` too big for the paired set's images is refused
 * before the run folder is made ({@link checkPix2PixGeometry}; at 36x60: depth <= 6, receptive
 * field <= 70).
 *
 * Timing, wasm backend, 2 threads, two CPU cores shared with another training run (load about
 * 3), one G update plus one D update, 36x60x1 `twins`, batch 8 unless noted: see
 * `docs/pix2pix.md` ("Timing").
 *
 * @example
 * ```ts ignore
 * import { initBackend } from "../../backend/mod.ts";
 * import { inputEncoder, Pix2Pix, PIX2PIX_PRESETS, PairStream, readPairs } from "./mod.ts";
 * await initBackend({ backend: "wasm" });
 * const data = await readPairs("data/generated/gap-paired-train-n10000-s0", "twins");
 * const stream = new PairStream(data, inputEncoder("twins", "onehot"), 1);
 * const { steps, ...quick } = PIX2PIX_PRESETS.quick;
 * const gan = Pix2Pix.create(quick, { seed: 7, inChannels: stream.inChannels, shape: data.shape });
 * for (let i = 0; i < steps; i++) {
 *   const values = await gan.step(i, stream); // { loss_G_adv, loss_L1, loss_G, l1, loss_D, lr }
 *   if (i % 50 === 0) console.log(i, values);
 * }
 * const { x, y } = stream.next(16);
 * const fake = gan.translate(x); // G(x), [16, H, W, C] in [-1, 1]
 * x.dispose(); y.dispose(); fake.dispose();
 * gan.dispose();
 * ```
 *
 * The whole task is `deno task train-pix2pix` (`train.ts`); importing this module registers the
 * refiner loader (G of a `twins` run) and the report's sections
 * ({@link loadPix2PixReportSections}) for `deno task eval-gaze --refiner RUN`, and the paired
 * translator loader (G of any pix2pix run) for `deno task eval-pairs --refiner RUN`.
 *
 * @module
 */
import { registerTranslatorLoader } from "../../eval/paired.ts";
import { registerRefinerLoader } from "../../eval/refiner.ts";
import { registerRunReportSections } from "../../report/run_report_sections.ts";
import { loadPix2PixRefiner, loadPix2PixTranslator } from "./refiner.ts";
import { loadPix2PixReportSections } from "./train.ts";

export * from "./config.ts";
export * from "./data.ts";
export * from "./model.ts";
export * from "./refiner.ts";
export * from "./task_config.ts";
export * from "./train.ts";

// `deno task eval-gaze --refiner RUN` and `eval-pairs --refiner RUN` import this module for
// pix2pix runs and ask for these (eval-gaze also for the report's sections when it rewrites
// RUN/report.html).
registerRefinerLoader("pix2pix", (runDir) => loadPix2PixRefiner(runDir));
registerTranslatorLoader("pix2pix", (runDir) => loadPix2PixTranslator(runDir));
registerRunReportSections("pix2pix", (runDir) => loadPix2PixReportSections(runDir));
