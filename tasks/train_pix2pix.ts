/**
 * `deno task train-pix2pix`: trains pix2pix (`lib/methods/pix2pix/`) on aligned pairs, scores G
 * on held-out pairs (L1, PSNR, SSIM), runs the gaze protocol with G as the refiner (`--pairs
 * twins`) and writes the run's report; prints the report's path. Built like `train-cyclegan`.
 *
 * ```sh
 * deno task train-pix2pix                                   # twins, quick preset, default data
 * deno task train-pix2pix --pairs maps                      # semantic map -> target image
 * deno task train-pix2pix --preset smoke --no-eval          # seconds
 * deno task train-pix2pix --objective l1                    # ablation: L1 only
 * deno task train-pix2pix --resume runs/pix2pix-20261115-142310 --steps 1500 \
 *   --schedule.constantSteps 1200                # 500 more; quick's decay moved to the end
 * deno task train-pix2pix --help                            # every flag, per preset
 * ```
 *
 * `--steps` may not go past the learning-rate schedule (`--schedule.constantSteps` +
 * `--schedule.decaySteps`, quick 700 + 300): the steps after it would train at rate 0, so the task
 * stops with exit code 2 and says how to raise the schedule (the schedule flags may change with
 * `--resume`).
 *
 * @module
 */
import { formatUsage } from "../lib/train/args.ts";
import { PIX2PIX_CONFIG, PIX2PIX_FLAG_ALIASES, trainPix2Pix } from "../lib/methods/pix2pix/mod.ts";
import { runTask, taskExitCode } from "../lib/util/cli.ts";

/** The usage text: the harness's, plus the task's short flags. */
export const USAGE = `${formatUsage(PIX2PIX_CONFIG, { task: "train-pix2pix" })}

Short flags:
${Object.entries(PIX2PIX_FLAG_ALIASES).map(([k, v]) => `  ${k.padEnd(20)}= ${v}`).join("\n")}`;

/**
 * Runs the task for `argv` and returns its exit code: 0 done, 130 interrupted (checkpoint
 * written), 2 bad flags or data sets (the message lists what is valid), 1 any other failure.
 */
export async function main(argv: readonly string[]): Promise<number> {
  return await taskExitCode("train-pix2pix", USAGE, async () => {
    const result = await trainPix2Pix(argv);
    return result?.exitCode ?? 0;
  });
}

if (import.meta.main) {
  await runTask("train-pix2pix", USAGE, async () => (await trainPix2Pix(Deno.args))?.exitCode ?? 0);
}
