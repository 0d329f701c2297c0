/**
 * Shared by the model-level method tests: the project's eye-image size and a checkpoint taken
 * through the file encoding.
 *
 * @module
 */
import {
  captureCheckpoint,
  type Checkpoint,
  type CheckpointPayload,
  decodeCheckpoint,
  encodeCheckpoint,
} from "../../lib/train/checkpoint.ts";

/** The project's eye images: 36x60, gray. */
export const SHAPE = { height: 36, width: 60, channels: 1 };

/**
 * A checkpoint of `parts` at `step` of a test run (`method`, `seed`, preset `test`), captured,
 * encoded as a file and decoded again.
 */
export async function checkpointThroughFile(
  parts: CheckpointPayload,
  run: { method: string; step: number; seed: number },
): Promise<Checkpoint> {
  return decodeCheckpoint(encodeCheckpoint(
    await captureCheckpoint(parts, { ...run, config: { preset: "test", values: {} } }),
  ));
}
