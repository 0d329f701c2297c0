/**
 * Benchmark cases for data generation (pure JavaScript, timed once, reported as backend `js`):
 * rendering batches of eyes in each domain at the default 36x60 gray size and at 128x128
 * colour. `items_per_s` is images per second on one thread.
 *
 * @module
 */
import { registerBenchCase } from "./case.ts";
import { type DomainName, EyeRenderer, renderBatch } from "../data/domains/mod.ts";

const BATCH = 256;

const SIZES = [
  { tag: "36x60", height: 36, width: 60, channels: 1 as const },
  { tag: "128x128x3", height: 128, width: 128, channels: 3 as const },
];
const DOMAINS: DomainName[] = ["synthetic", "real"];

for (const size of SIZES) {
  for (const domain of DOMAINS) {
    registerBenchCase({
      name: `render_${domain}_${size.tag}`,
      description: `render ${BATCH} ${domain}-domain eyes at ${size.tag} (images/s, one thread)`,
      backendIndependent: true,
      setup: ({ seed }) => {
        const renderer = new EyeRenderer(size);
        let start = 0;
        return {
          info: { batch: BATCH, output_shape: [BATCH, size.height, size.width, size.channels] },
          itemsPerRun: BATCH,
          run: () => {
            // a fresh index range each run, so no run re-renders the same samples
            renderBatch(renderer, { domain, seed, split: "bench" }, start, BATCH);
            start += BATCH;
            return Promise.resolve();
          },
          dispose: () => {},
        };
      },
    });
  }
}
