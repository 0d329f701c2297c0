/**
 * The experiment harness every method shares: typed configs with presets and dotted flags,
 * run folders, checkpoints with exact resume, the training loop, and one seed for everything.
 *
 * Run folder layout (`--out DIR`, default `runs/<method>-<YYYYmmdd-HHMMSS>`):
 *
 * ```text
 *   config.json        { format, method, preset, seed, values, non_default }
 *   env.json           backend and why, versions, git commit, seed, command line, start time,
 *                      and one entry per --resume
 *   metrics.jsonl      { step, elapsed_s, <losses>, tensors } per logged step
 *   samples/           step-NNNNNN.png sample grids
 *   checkpoints/       latest.safetensors, step-NNNNNN.safetensors (weights, optimiser state,
 *                      step, config, the method's arrays and JSON state, format version);
 *                      abandoned-<time>/ holds later checkpoints moved aside when a run is
 *                      resumed from an older one
 *   report.html        written by the report module
 * ```
 *
 * A method's task, in outline:
 *
 * ```ts ignore
 * const s = await startRun(TOY_CONFIG, Deno.args);          // flags, backend, run folder
 * if (!s) return;                                           // --help was printed
 * const G = buildNetwork("unet_generator", {...}, { seed: s.seeds.network("G"), namespace: "G" });
 * const opt = tf.train.adam(s.config.optimizer.lr, s.config.optimizer.beta1);
 * let state = { epoch: 0, offset: 0 };
 * if (s.checkpoint) {
 *   const r = await restoreCheckpoint(s.checkpoint, { networks: { G }, optimizers: { G: opt } });
 *   state = checkToyState(r.state);                         // throw CheckpointError if unfit
 *   await s.commitResume();                                 // only now is the run folder changed
 * }
 * const result = await runTraining({
 *   run: s.run, totalSteps: s.config.steps, startStep: s.startStep, quiet: s.quiet,
 *   elapsedSeconds: s.checkpoint?.elapsedSeconds, logEvery: s.config.logEvery, ...,
 *   step: (i) => trainStep(i),
 *   save: () => ({ networks: { G }, optimizers: { G: opt }, state }),
 * });
 * return result.exitCode;                                   // 130 after Ctrl-C
 * ```
 *
 * @module
 */
export * from "./config.ts";
export * from "./args.ts";
export * from "./seeds.ts";
export * from "./run.ts";
export * from "./checkpoint.ts";
export * from "./loop.ts";
export * from "./session.ts";
export * from "./schedule.ts";
