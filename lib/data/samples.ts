/**
 * Pictures of the data: the semantic-map colours, sample sheets of both domains, paired samples,
 * a gaze sweep and an annotated anatomy sample (`deno task domain-gap --samples DIR`, the
 * `data/samples/*.png` files of the data README, notebook 01).
 *
 * @module
 */
import { EyeRenderer } from "./domains/mod.ts";
import type { EyeParams } from "./render/params.ts";
import { DEG } from "./gaze.ts";
import { encodePng, type PixelImage } from "../image/io.ts";
import { tileImages, upscaleNearest } from "../image/grid.ts";
import { Rng } from "../util/random.ts";

/** RGB colours of the semantic classes (skin, sclera, iris, pupil, eyelid, caruncle). */
export const CLASS_COLORS: readonly [number, number, number][] = [
  [222, 184, 150],
  [245, 245, 245],
  [70, 130, 200],
  [20, 20, 20],
  [150, 60, 40],
  [230, 110, 140],
];

/** A gray or RGB `H x W x C` buffer as a {@link PixelImage}. */
export function toPixelImage(
  data: Uint8Array,
  size: { height: number; width: number; channels?: 1 | 3 },
): PixelImage {
  return { width: size.width, height: size.height, channels: size.channels ?? 1, data };
}

/** A semantic map (`H x W` class ids) in {@link CLASS_COLORS}. */
export function colorizeMap(map: Uint8Array, size: { height: number; width: number }): PixelImage {
  const data = new Uint8Array(map.length * 3);
  for (let i = 0; i < map.length; i++) {
    const c = CLASS_COLORS[map[i]] ?? [255, 0, 255];
    data.set(c, 3 * i);
  }
  return { width: size.width, height: size.height, channels: 3, data };
}

/**
 * An image enlarged `scale` times (nearest neighbour) with the 55 landmarks drawn on it:
 * interior margin green, iris cyan, caruncle magenta, the first (inner corner) red.
 */
export function drawLandmarks(image: PixelImage, landmarks: Float32Array, scale = 4): PixelImage {
  const w = image.width * scale, h = image.height * scale;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = (Math.floor(y / scale) * image.width + Math.floor(x / scale)) * image.channels;
      for (let c = 0; c < 3; c++) {
        data[(y * w + x) * 3 + c] = image.data[src + (image.channels === 3 ? c : 0)];
      }
    }
  }
  const dot = (px: number, py: number, rgb: readonly number[]) => {
    // landmark coordinates: the centre of pixel (0, 0) is at (0, 0)
    const cx = Math.round((px + 0.5) * scale - 0.5), cy = Math.round((py + 0.5) * scale - 0.5);
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const x = cx + dx, y = cy + dy;
        if (x >= 0 && y >= 0 && x < w && y < h) data.set(rgb, (y * w + x) * 3);
      }
    }
  };
  for (let i = 0; i < landmarks.length / 2; i++) {
    const rgb = i === 0
      ? [255, 0, 0]
      : i < 16
      ? [0, 220, 0]
      : i < 48
      ? [0, 220, 255]
      : [255, 0, 255];
    dot(landmarks[2 * i], landmarks[2 * i + 1], rgb);
  }
  return { width: w, height: h, channels: 3, data };
}

/** Options of {@link domainSamples}. */
export interface DomainSamplesOptions {
  /** Images per row (default 8). */
  cols?: number;
  /** Rows per grid (default 4). */
  rows?: number;
  /** Data seed (default 0). */
  seed?: number;
}

/** The pictures {@link domainSamples} makes, as pixel images (not yet enlarged). */
export interface DomainSamples {
  /** Samples of the synthetic domain (its own parameter distribution). */
  synthetic: PixelImage;
  /** Samples of the target domain (its own parameter distribution). */
  real: PixelImage;
  /** Paired rows: synthetic renders, then their target-domain twins (same parameters). */
  paired: PixelImage;
  /** A gaze sweep of one eye: yaw +30..-30 degrees across, pitch +20..-20 down, synthetic. */
  sweep: PixelImage;
  /** One eye: synthetic, target, semantic map, landmarks (each enlarged 4x). */
  anatomy: PixelImage;
}

/**
 * Renders the sample sheets of the two domains (README, notebook): grids of each domain,
 * paired rows, a gaze sweep and one eye's semantic map and landmarks. Deterministic.
 */
export function domainSamples(options: DomainSamplesOptions = {}): DomainSamples {
  const cols = options.cols ?? 8, rows = options.rows ?? 4, seed = options.seed ?? 0;
  const r = new EyeRenderer();
  const size = { height: r.height, width: r.width };
  const grid = (domain: "synthetic" | "real") =>
    tileImages(
      Array.from({ length: cols * rows }, (_, i) =>
        toPixelImage(
          r.renderIndex({ domain, seed, split: "samples" }, i, { map: false }).image,
          size,
        )),
      { cols },
    );
  const paired: PixelImage[] = [];
  for (let row = 0; row < Math.ceil(rows / 2); row++) {
    const pairs = Array.from(
      { length: cols },
      (_, i) => r.renderIndex({ domain: "paired", seed, split: "samples" }, row * cols + i),
    );
    paired.push(...pairs.map((s) => toPixelImage(s.synthetic!, size)));
    paired.push(...pairs.map((s) => toPixelImage(s.image, size)));
  }
  const base = sweepBase(r);
  const yaws = [30, 20, 10, 0, -10, -20, -30];
  const pitches = [20, 0, -20];
  const sweep: PixelImage[] = [];
  for (const pitch of pitches) {
    for (const yaw of yaws) {
      const p = { ...base, pitch: pitch * DEG, yaw: yaw * DEG };
      sweep.push(
        toPixelImage(r.renderParams(p, "synthetic", undefined, { map: false }).image, size),
      );
    }
  }
  const one = r.renderIndex({ domain: "paired", seed, split: "samples" }, 3);
  const up = (im: PixelImage) => upscaleNearest(im, 4);
  const anatomy = tileImages([
    up(toPixelImage(one.synthetic!, size)),
    up(toPixelImage(one.image, size)),
    up(colorizeMap(one.map, size)),
    drawLandmarks(toPixelImage(one.synthetic!, size), one.landmarks, 4),
  ], { cols: 4, padding: 4 });
  return {
    synthetic: grid("synthetic"),
    real: grid("real"),
    paired: tileImages(paired, { cols }),
    sweep: tileImages(sweep, { cols: yaws.length }),
    anatomy,
  };
}

/** The parameters of a fixed, frontal, well-lit eye for sweeps (gaze set by the caller). */
export function sweepBase(renderer: EyeRenderer = new EyeRenderer()): EyeParams {
  const p = renderer.sampleParams(new Rng("eyegan-sweep"), {
    pitchDeg: { type: "const", value: 0 },
    yawDeg: { type: "const", value: 0 },
    headPitchDeg: { type: "const", value: 0 },
    headYawDeg: { type: "const", value: 0 },
    headRollDeg: { type: "const", value: 0 },
    maxRelPitchDeg: 30,
    maxRelYawDeg: 40,
    eyeWidth: { type: "const", value: 30 },
    openness: { type: "const", value: 1.1 },
    lowerLid: { type: "const", value: 1 },
    irisRadius: { type: "const", value: 5.9 },
    pupilRadius: { type: "const", value: 2 },
    creaseHeight: { type: "const", value: 4.5 },
    canthalTiltDeg: { type: "const", value: 3 },
    skinTone: { type: "const", value: 0.25 },
    irisWeights: [1, 0, 0, 0, 0, 0],
    lightElevationDeg: { type: "const", value: 25 },
    lightIntensity: { type: "const", value: 0.8 },
    ambient: { type: "const", value: 0.4 },
    zoom: { type: "const", value: 1 },
    shiftX: { type: "const", value: 0 },
    shiftY: { type: "const", value: 0 },
  });
  return p;
}

/** File names {@link writeDomainSamples} writes. */
export const SAMPLE_FILES = {
  synthetic: "synthetic.png",
  real: "target.png",
  paired: "paired.png",
  sweep: "gaze_sweep.png",
  anatomy: "anatomy.png",
} as const;

/**
 * Writes the {@link domainSamples} as PNG files into `dir` (grids enlarged 2x, the anatomy
 * sheet as is) and returns the paths with their sizes in bytes.
 */
export async function writeDomainSamples(
  dir: string,
  options: DomainSamplesOptions & { scale?: number } = {},
): Promise<{ path: string; bytes: number }[]> {
  const samples = domainSamples(options);
  await Deno.mkdir(dir, { recursive: true });
  const out: { path: string; bytes: number }[] = [];
  for (const key of Object.keys(SAMPLE_FILES) as (keyof DomainSamples)[]) {
    const scale = key === "anatomy" ? 1 : options.scale ?? 2;
    const image = tileImages([samples[key]], { padding: 0, scale });
    const png = await encodePng(image);
    const path = `${dir.replace(/\/+$/, "")}/${SAMPLE_FILES[key]}`;
    await Deno.writeFile(path, png);
    out.push({ path, bytes: png.length });
  }
  return out;
}
