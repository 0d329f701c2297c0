/**
 * `deno task train-simgan`: trains SimGAN (`lib/methods/simgan/`), evaluates the refiner with
 * the gaze protocol and writes the run's report; prints the report's path.
 *
 * ```sh
 * deno task train-simgan                                   # quick preset, default data sets
 * deno task train-simgan --preset smoke --no-eval          # seconds
 * deno task train-simgan --psi gradients --lambda 4 --out runs/simgan-grad
 * deno task train-simgan --real data/generated/mpiigaze-p00  # unlabelled real images as target
 * deno task train-simgan --resume runs/simgan-20261115-142310 --steps 1400
 * deno task train-simgan --help                            # every flag, per preset
 * ```
 *
 * With no flags (the `quick` preset) it took 11.2 minutes on two CPU cores shared with another
 * job (load 2-3), evaluation included and no estimator cached; see `SIMGAN_TASK_PRESETS`.
 *
 * @module
 */
import { formatUsage } from "../lib/train/args.ts";
import { SIMGAN_CONFIG, SIMGAN_FLAG_ALIASES, trainSimGAN } from "../lib/methods/simgan/mod.ts";
import { runTask, taskExitCode } from "../lib/util/cli.ts";

/** The usage text: the harness's, plus the task's short flags. */
export const USAGE = `${formatUsage(SIMGAN_CONFIG, { task: "train-simgan" })}

Short flags:
${Object.entries(SIMGAN_FLAG_ALIASES).map(([k, v]) => `  ${k.padEnd(12)}= ${v}`).join("\n")}`;

/**
 * Runs the task for `argv` and returns its exit code: 0 done, 130 interrupted (checkpoint
 * written), 2 bad flags or data sets (the message lists what is valid), 1 any other failure.
 */
export async function main(argv: readonly string[]): Promise<number> {
  return await taskExitCode("train-simgan", USAGE, async () => {
    const result = await trainSimGAN(argv);
    return result?.exitCode ?? 0;
  });
}

if (import.meta.main) {
  await runTask("train-simgan", USAGE, async () => (await trainSimGAN(Deno.args))?.exitCode ?? 0);
}
