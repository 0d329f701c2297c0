/**
 * `deno task make-data`: renders a synthetic, target-domain ("real") or paired eye data set
 * into a directory of NPY files (see `lib/data/dataset.ts`).
 *
 * ```sh
 * deno task make-data --domain synthetic --n 10000 --out data/generated/syn-train
 * deno task make-data --domain real --n 10000 --out data/generated/real-test --split test
 * deno task make-data --domain paired --n 2000 --out data/generated/paired --size 128x128 --channels 3
 * ```
 *
 * Permissions: `--allow-read --allow-write` (the output directory only).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DatasetExistsError, makeDataset } from "../lib/data/dataset.ts";
import { type DomainName, DOMAINS } from "../lib/data/domains/mod.ts";
import { ProgressBar } from "../lib/util/progress.ts";

const USAGE = `Usage: deno task make-data --domain synthetic|real|paired --n N --out DIR
       [--size HxW] [--channels 1|3] [--seed S] [--split train|val|test] [--supersample K]
       [--force] [--quiet]

  --domain       synthetic (clean simulator), real (target domain) or paired (map + both)
  --n            number of samples
  --out          output directory (must not exist unless --force)
  --size         image size, height x width (default 36x60; e.g. 35x55, 128x128)
  --channels     1 = gray (default), 3 = RGB
  --seed         integer or string seed (default 0)
  --split        train (default), val or test; part of the random stream
  --supersample  anti-aliasing samples per axis, 1-4 (default 3 up to 64x64, else 2)
  --force        replace an existing data set (the old one is kept until the new one is done)
  --quiet        no progress bar
  --help         this text`;

const OPTIONS = {
  domain: { type: "string" },
  n: { type: "string" },
  out: { type: "string" },
  size: { type: "string", default: "36x60" },
  channels: { type: "string", default: "1" },
  seed: { type: "string", default: "0" },
  split: { type: "string", default: "train" },
  supersample: { type: "string" },
  force: { type: "boolean", default: false },
  quiet: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

/** Thrown for bad command lines; the message is meant for the user. */
export class UsageError extends Error {}

/** Resolved options of one run. */
export interface MakeDataArgs {
  domain: DomainName;
  n: number;
  out: string;
  height: number;
  width: number;
  channels: 1 | 3;
  seed: number | string;
  split: string;
  supersample?: number;
  force: boolean;
  quiet: boolean;
  help: boolean;
}

/** Parses the command line (strict: unknown flags are errors that list the valid ones). */
export function parseMakeDataArgs(argv: string[]): MakeDataArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    const valid = Object.keys(OPTIONS).map((k) => `--${k}`).join(", ");
    throw new UsageError(`${e instanceof Error ? e.message : e}\nValid options: ${valid}`);
  }
  const v = values;
  if (v.help) {
    return { help: true } as MakeDataArgs;
  }
  if (!v.domain || !(DOMAINS as readonly string[]).includes(v.domain)) {
    throw new UsageError(`--domain must be one of ${DOMAINS.join(", ")}`);
  }
  const n = Number(v.n);
  if (!v.n || !Number.isInteger(n) || n < 1) throw new UsageError("--n must be a positive integer");
  if (!v.out) throw new UsageError("--out DIR is required");
  const size = /^(\d+)x(\d+)$/.exec(v.size ?? "");
  if (!size) throw new UsageError(`--size must be HxW, e.g. 36x60, got ${v.size}`);
  const height = Number(size[1]), width = Number(size[2]);
  if (height < 16 || width < 16 || height > 512 || width > 512) {
    throw new UsageError("--size: height and width must be in 16..512");
  }
  if (v.channels !== "1" && v.channels !== "3") throw new UsageError("--channels must be 1 or 3");
  if (!["train", "val", "test"].includes(v.split ?? "")) {
    throw new UsageError(`--split must be train, val or test, got ${v.split}`);
  }
  let supersample: number | undefined;
  if (v.supersample !== undefined) {
    supersample = Number(v.supersample);
    if (!Number.isInteger(supersample) || supersample < 1 || supersample > 4) {
      throw new UsageError("--supersample must be 1, 2, 3 or 4");
    }
  }
  const seedNum = Number(v.seed);
  return {
    domain: v.domain as DomainName,
    n,
    out: v.out,
    height,
    width,
    channels: Number(v.channels) as 1 | 3,
    seed: v.seed !== "" && Number.isSafeInteger(seedNum) ? seedNum : v.seed!,
    split: v.split!,
    supersample,
    force: v.force ?? false,
    quiet: v.quiet ?? false,
    help: false,
  };
}

/** Runs make-data for `argv`; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let args: MakeDataArgs;
  try {
    args = parseMakeDataArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`make-data: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const bar = new ProgressBar(args.n, {
    label: `${args.domain} ${args.height}x${args.width}x${args.channels}`,
    unit: "img",
    quiet: args.quiet,
  });
  const t0 = performance.now();
  let meta;
  try {
    meta = await makeDataset(args.out, {
      domain: args.domain,
      n: args.n,
      seed: args.seed,
      split: args.split,
      height: args.height,
      width: args.width,
      channels: args.channels,
      supersample: args.supersample,
      force: args.force,
      createdBy: ["deno task make-data", ...argv].join(" "),
      onProgress: (done) => bar.update(done),
    });
  } catch (e) {
    if (e instanceof DatasetExistsError) {
      console.error(`make-data: ${e.message}`);
      return 1;
    }
    throw e;
  }
  bar.finish();
  const secs = (performance.now() - t0) / 1000;
  if (!args.quiet) {
    console.error(
      `wrote ${meta.count} ${meta.domain} samples to ${args.out} ` +
        `(${Object.keys(meta.files).join(", ")}) in ${secs.toFixed(1)} s`,
    );
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
