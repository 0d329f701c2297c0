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
 * Permissions: `--allow-read --allow-write` (it writes where `--out` points, and nothing else).
 *
 * @module
 */
import { type DomainName, DOMAINS } from "../lib/data/domains/mod.ts";
import { runMakeData, type RunMakeDataOptions } from "../lib/data/make.ts";
import {
  channelsFlag,
  choiceFlag,
  intFlag,
  parseFlags,
  requiredFlag,
  sizeFlag,
  taskExitCode,
} from "../lib/util/cli.ts";

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

const FLAGS = {
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

/** Resolved options of one run. */
export interface MakeDataArgs extends RunMakeDataOptions {
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

/**
 * Parses the command line (strict: unknown flags are a `UsageError` that lists the valid ones).
 * With `--help`, only `help` is set.
 */
export function parseMakeDataArgs(argv: string[]): MakeDataArgs {
  const { values: v } = parseFlags(argv, FLAGS);
  if (v.help) return { help: true } as MakeDataArgs;
  const seed = Number(v.seed);
  return {
    domain: choiceFlag("domain", v.domain, DOMAINS),
    n: intFlag("n", requiredFlag("n", v.n)),
    out: requiredFlag("out", v.out),
    ...sizeFlag("size", v.size, { min: 16, max: 512 }),
    channels: channelsFlag("channels", v.channels),
    seed: v.seed !== "" && Number.isSafeInteger(seed) ? seed : v.seed,
    split: choiceFlag("split", v.split, ["train", "val", "test"]),
    supersample: v.supersample === undefined
      ? undefined
      : intFlag("supersample", v.supersample, 1, 4),
    force: v.force,
    quiet: v.quiet,
    help: false,
  };
}

/** Runs make-data for `argv`; returns the exit code (0 done, 1 failed, 2 bad command line). */
export function main(argv: string[]): Promise<number> {
  return taskExitCode("make-data", USAGE, async () => {
    const { help, out, ...options } = parseMakeDataArgs(argv);
    if (help) return void console.log(USAGE);
    await runMakeData(out, { ...options, createdBy: ["deno task make-data", ...argv].join(" ") });
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
