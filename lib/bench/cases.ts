/**
 * The built-in benchmark cases (registered on import):
 *
 * - `refiner_step`: one SimGAN refiner training step, x [16, 35, 55, 1], 64 maps, 4 ResNet
 *   blocks, loss mean |R(x) - x|, Adam 1e-3 (forward + backward + update). The PyTorch peer
 *   `bench/peer_refiner_step.py` runs the same step.
 * - `refiner_forward`: the same refiner's forward pass at batch 16 (inference).
 * - `cyclegan_generator_step`: one CycleGAN ResNet-generator training step, x [4, 64, 64, 3],
 *   c7s1-32, d64, d128, 6 x R128, u64, u32, c7s1-3 (instance norm, reflection padding,
 *   transposed-conv ups), loss mean |G(x) - x|, Adam 2e-4 beta1 0.5.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { buildNetwork, type NetworkConfigs, type NetworkName } from "../nn/mod.ts";
import { type BenchCase, registerBenchCase } from "./case.ts";

type Shape4 = [number, number, number, number];

interface NetworkCaseSpec<N extends NetworkName> {
  name: string;
  description: string;
  network: N;
  config: Partial<NetworkConfigs[N]>;
  inputShape: Shape4;
  /** Adam learning rate and beta1 for training cases; absent for forward-only cases. */
  adam?: { lr: number; beta1: number };
}

/** A case that times one training step (or one forward pass) of a network on a fixed batch. */
export function networkCase<N extends NetworkName>(spec: NetworkCaseSpec<N>): BenchCase {
  return {
    name: spec.name,
    description: spec.description,
    setup: ({ seed }) => {
      const net = buildNetwork(spec.network, spec.config, { seed });
      const x = tf.randomUniform(spec.inputShape, -1, 1, "float32", seed) as tf.Tensor4D;
      const vars = net.trainableVariables();
      const info = {
        batch: spec.inputShape[0],
        input_shape: spec.inputShape,
        network: spec.network,
        params: net.params.count({ trainableOnly: true }),
        ...(spec.adam
          ? { loss: "mean|G(x)-x|", optimizer: `adam lr=${spec.adam.lr} beta1=${spec.adam.beta1}` }
          : { mode: "forward" }),
      };
      if (!spec.adam) {
        return {
          info,
          itemsPerRun: spec.inputShape[0],
          run: async () => {
            const y = tf.tidy(() => net.apply(x, { training: false }));
            await y.data();
            y.dispose();
          },
          dispose: () => {
            net.dispose();
            x.dispose();
          },
        };
      }
      const opt = tf.train.adam(spec.adam.lr, spec.adam.beta1, 0.999);
      const last = vars[vars.length - 1];
      return {
        info,
        itemsPerRun: spec.inputShape[0],
        run: async () => {
          // loss = mean |G(x) - x|; minimize = forward + backward + Adam update
          const loss = tf.tidy(() => {
            const l = opt.minimize(
              () => tf.mean(tf.abs(tf.sub(net.apply(x, { training: true }), x))) as tf.Scalar,
              true,
              vars,
            );
            if (!l) throw new Error("optimizer.minimize returned no loss");
            return l;
          });
          await loss.data();
          loss.dispose();
          // the update of the last variable is the last queued work (matters on webgpu)
          await last.data();
        },
        dispose: () => {
          opt.dispose();
          net.dispose();
          x.dispose();
        },
      };
    },
  };
}

/** The SimGAN refiner of `refiner_step` (and of the PyTorch peer). */
export const BENCH_REFINER = { channels: 1, filters: 64, blocks: 4 } as const;

registerBenchCase(networkCase({
  name: "refiner_step",
  description: "SimGAN refiner training step, 16x35x55x1, 64 maps, 4 blocks, L1 to input, Adam",
  network: "simgan_refiner",
  config: BENCH_REFINER,
  inputShape: [16, 35, 55, 1],
  adam: { lr: 1e-3, beta1: 0.9 },
}));

registerBenchCase(networkCase({
  name: "refiner_forward",
  description: "SimGAN refiner forward pass, 16x35x55x1, 64 maps, 4 blocks",
  network: "simgan_refiner",
  config: BENCH_REFINER,
  inputShape: [16, 35, 55, 1],
}));

registerBenchCase(networkCase({
  name: "cyclegan_generator_step",
  description: "CycleGAN ResNet generator training step, 4x64x64x3, c7s1-32, 6 blocks, L1, Adam",
  network: "resnet_generator",
  config: {
    inChannels: 3,
    outChannels: 3,
    filters: 32,
    downsamplings: 2,
    blocks: 6,
    upsample: "transpose",
    norm: "instance",
  },
  inputShape: [4, 64, 64, 3],
  adam: { lr: 2e-4, beta1: 0.5 },
}));
