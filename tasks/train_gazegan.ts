/**
 * `deno task train-gazegan`: trains GazeGAN (`lib/methods/gazegan/`), evaluates G with the gaze
 * protocol and writes the run's report; prints the report's path. Built like `train-simgan`.
 *
 * ```sh
 * deno task train-gazegan                                   # quick preset, default data sets
 * deno task train-gazegan --preset smoke --no-eval          # seconds
 * deno task train-gazegan --resume runs/gazegan-20261115-142310 --steps 800 \
 *   --schedule.constantSteps 600                 # 200 more; quick's decay moved to the end
 * deno task train-gazegan --help                            # every flag, per preset
 * ```
 *
 * `--steps` may not go past the learning-rate schedule (`--schedule.constantSteps` +
 * `--schedule.decaySteps`, quick 400 + 200): the steps after it would train at rate 0, so the task
 * stops with exit code 2 and says how to raise the schedule (the schedule flags may change with
 * `--resume`).
 *
 * @module
 */
import { formatUsage } from "../lib/train/args.ts";
import { CYCLE_FLAG_ALIASES } from "../lib/methods/cyclegan/task_config.ts";
import { GAZEGAN_CONFIG, trainGazeGAN } from "../lib/methods/gazegan/mod.ts";
import { runTask, taskExitCode } from "../lib/util/cli.ts";

/** The usage text: the harness's, plus the task's short flags. */
export const USAGE = `${formatUsage(GAZEGAN_CONFIG, { task: "train-gazegan" })}

Short flags:
${Object.entries(CYCLE_FLAG_ALIASES).map(([k, v]) => `  ${k.padEnd(12)}= ${v}`).join("\n")}`;

/**
 * Runs the task for `argv` and returns its exit code: 0 done, 130 interrupted (checkpoint
 * written), 2 bad flags or data sets (the message lists what is valid), 1 any other failure.
 */
export async function main(argv: readonly string[]): Promise<number> {
  return await taskExitCode("train-gazegan", USAGE, async () => {
    const result = await trainGazeGAN(argv);
    return result?.exitCode ?? 0;
  });
}

if (import.meta.main) {
  await runTask("train-gazegan", USAGE, async () => (await trainGazeGAN(Deno.args))?.exitCode ?? 0);
}
