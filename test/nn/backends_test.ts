/**
 * Every network computes the same forward pass and the same training step on `wasm` as on the
 * reference `cpu` backend (guards layers built from ops whose kernels differ per backend).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend/mod.ts";
import { buildNetwork, type NetworkConfigs, type NetworkName } from "../../lib/nn/mod.ts";
import { useCpu } from "./_cpu.ts";

type Shape4 = [number, number, number, number];
type Spec = { [N in NetworkName]: [N, Partial<NetworkConfigs[N]>, Shape4] }[NetworkName];
const SPECS: Spec[] = [
  ["simgan_refiner", { filters: 4, blocks: 1, init: "he" }, [2, 35, 55, 1]],
  ["simgan_discriminator", { filters: [4, 4, 4, 4], init: "he" }, [2, 35, 55, 1]],
  ["resnet_generator", { inChannels: 1, outChannels: 1, filters: 4, blocks: 1 }, [2, 35, 55, 1]],
  ["resnet_generator", {
    inChannels: 1,
    outChannels: 1,
    filters: 4,
    blocks: 1,
    upsample: "resize_conv",
  }, [2, 36, 60, 1]],
  ["patchgan_discriminator", { inChannels: 1, filters: 4, init: "he" }, [2, 36, 60, 1]],
  ["unet_generator", {
    inChannels: 1,
    outChannels: 1,
    height: 36,
    width: 60,
    filters: 4,
    dropoutAtTest: false,
    dropout: 0,
  }, [2, 36, 60, 1]],
  ["gaze_estimator", { widthMultiplier: 0.25, hidden: [16] }, [2, 35, 55, 1]],
];

/** Output after one SGD step on mean(G(x)^2), and the loss, as one flat array. */
function stepAndApply(spec: Spec): Float32Array {
  const [name, config, shape] = spec;
  const net = buildNetwork(name, config as never, { seed: 1 });
  const x = tf.randomUniform(shape, -1, 1, "float32", 3) as tf.Tensor4D;
  const opt = tf.train.sgd(0.1);
  const loss = tf.tidy(() => {
    const l = opt.minimize(
      () => tf.mean(tf.square(net.apply(x, { training: true }))) as tf.Scalar,
      true,
      net.trainableVariables(),
    );
    if (!l) throw new Error("no loss");
    return l;
  });
  const y = net.apply(x);
  const out = new Float32Array([...y.dataSync(), ...loss.dataSync()]);
  tf.dispose([x, y, loss]);
  opt.dispose();
  net.dispose();
  return out;
}

Deno.test("networks: cpu and wasm agree after one training step", async () => {
  try {
    await useCpu();
    const ref = SPECS.map(stepAndApply);
    await initBackend({ backend: "wasm" });
    SPECS.forEach((spec, i) => {
      const got = stepAndApply(spec);
      let diff = 0;
      let scale = 1e-3;
      got.forEach((v, j) => {
        diff = Math.max(diff, Math.abs(v - ref[i][j]));
        scale = Math.max(scale, Math.abs(ref[i][j]));
      });
      assert.ok(diff / scale < 1e-4, `${spec[0]} ${JSON.stringify(spec[1])}: rel ${diff / scale}`);
    });
  } finally {
    await useCpu();
  }
});
