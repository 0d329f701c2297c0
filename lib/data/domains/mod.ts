/**
 * The two appearance processes over one geometry, and the function that renders sample `i` of
 * a data set deterministically.
 *
 * - `synthetic`: the simulator (clean render, `synthetic.ts`), parameters from
 *   {@link SYNTHETIC_SHAPES};
 * - `real`: the target domain (textured surface and a camera model, `real.ts`), parameters
 *   from {@link REAL_SHAPES};
 * - `paired`: for each parameter set (drawn from {@link REAL_SHAPES}), the semantic map, the
 *   synthetic render and its target-domain twin, pixel-aligned.
 *
 * Random streams: sample `i` of `(seed, domain, split)` uses
 * `new Rng(seed).fork("eyegan-data", domain, split).fork(i)`, so every sample is independent of
 * the others and of the order they are rendered in; different splits or domains with the same
 * seed share no stream.
 *
 * @example
 * ```ts
 * import { EyeRenderer } from "./mod.ts";
 * const r = new EyeRenderer({ height: 36, width: 60, channels: 1 });
 * const s = r.renderIndex({ domain: "real", seed: 1, split: "train" }, 0);
 * console.log(s.gaze, s.image.length); // { pitch, yaw } 2160
 * ```
 *
 * @module
 */
import { Rng } from "../../util/random.ts";
import {
  computeGeometry,
  computeLandmarks,
  type EyeGeometry,
  LANDMARK_TOTAL,
} from "../render/geometry.ts";
import { type EyeParams, sampleEyeParams, type ShapeDistribution } from "../render/params.ts";
import { GBuffer, rasterize, semanticMap } from "../render/raster.ts";
import { applyLut, toneLut } from "./common.ts";
import { RealScratch, renderReal } from "./real.ts";
import { REAL_SHAPES, SYNTHETIC_SHAPES } from "./shapes.ts";
import { shadeSynthetic } from "./synthetic.ts";

export { REAL_SHAPES, SYNTHETIC_SHAPES } from "./shapes.ts";

/** Version of the generator, written to `meta.json`; bump when images change. */
export const GENERATOR_VERSION = "eyegan-render/1.0.0";

/** The kinds of data set the generator makes. */
export const DOMAINS = ["synthetic", "real", "paired"] as const;
/** One of {@link DOMAINS}. */
export type DomainName = typeof DOMAINS[number];

/** The parameter distribution of each domain (paired data uses the target's). */
export function shapesOf(domain: DomainName): ShapeDistribution {
  return domain === "synthetic" ? SYNTHETIC_SHAPES : REAL_SHAPES;
}

/** Options of an {@link EyeRenderer}. */
export interface RendererOptions {
  /** Output height in pixels (default 36). */
  height?: number;
  /** Output width in pixels (default 60). */
  width?: number;
  /** 1 = gray (default), 3 = RGB. */
  channels?: 1 | 3;
  /** Supersamples per axis, 1-4 (default 3 up to 64x64 pixels, else 2). */
  supersample?: number;
}

/** Which stream a sample comes from. */
export interface StreamSpec {
  domain: DomainName;
  seed: number | string;
  /** e.g. "train", "test"; part of the stream name. */
  split: string;
}

/** Options of {@link EyeRenderer.renderIndex}. */
export interface RenderOptions {
  /** Compute the semantic map (default true; `false` leaves `map` empty and saves ~6 %). */
  map?: boolean;
}

/** One rendered sample. Arrays are owned by the caller (fresh copies). */
export interface RenderedSample {
  /** Gaze label (radians, `lib/data/gaze.ts` convention). */
  gaze: { pitch: number; yaw: number };
  /** Head pose (radians). */
  headPose: { pitch: number; yaw: number; roll: number };
  /** The domain's image (`H x W x C` uint8); for `paired`, the target-domain twin. */
  image: Uint8Array;
  /** Semantic map (`H x W` class ids); empty when rendered with `map: false`. */
  map: Uint8Array;
  /** For `paired` only: the synthetic render of the same parameters. */
  synthetic?: Uint8Array;
  /** 55 landmarks `[x, y] * 55` in output pixels (see `computeLandmarks`). */
  landmarks: Float32Array;
  /** The parameters. */
  params: EyeParams;
}

/** Whether every landmark lies at least `margin` pixels inside the image. */
function landmarksInside(lm: Float32Array, height: number, width: number, margin = 0.5): boolean {
  for (let i = 0; i < lm.length; i += 2) {
    if (lm[i] < margin || lm[i] > width - 1 - margin) return false;
    if (lm[i + 1] < margin || lm[i + 1] > height - 1 - margin) return false;
  }
  return true;
}

/**
 * Renders eyes of one size. Holds reusable buffers, so one instance renders one image at a time
 * (create one per worker).
 */
export class EyeRenderer {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  readonly supersample: number;
  readonly #buf: GBuffer;
  readonly #acc: Float32Array;
  readonly #scratch: RealScratch;
  readonly #lut = toneLut(2.2);
  readonly #lm = new Float32Array(LANDMARK_TOTAL * 2);

  constructor(options: RendererOptions = {}) {
    this.height = options.height ?? 36;
    this.width = options.width ?? 60;
    this.channels = options.channels ?? 1;
    for (const [name, v] of [["height", this.height], ["width", this.width]] as const) {
      if (!Number.isInteger(v) || v < 16 || v > 512) {
        throw new RangeError(`EyeRenderer: ${name} must be an integer in 16..512, got ${v}`);
      }
    }
    if (this.channels !== 1 && this.channels !== 3) {
      throw new RangeError(`EyeRenderer: channels must be 1 or 3, got ${this.channels}`);
    }
    this.supersample = options.supersample ?? (this.height * this.width <= 64 * 64 ? 3 : 2);
    this.#buf = new GBuffer(this.height, this.width, this.supersample);
    const n = this.height * this.width * this.channels;
    this.#acc = new Float32Array(n);
    this.#scratch = new RealScratch(this.height, this.width, this.channels);
  }

  /**
   * Draws parameters from `shapes`, redrawing (up to 20 times) while any landmark would fall
   * outside the image.
   */
  sampleParams(rng: Rng, shapes: ShapeDistribution): EyeParams {
    let p = sampleEyeParams(rng, shapes);
    for (let attempt = 0; attempt < 20; attempt++) {
      const geo = computeGeometry(p, this.height, this.width);
      if (landmarksInside(computeLandmarks(geo, this.#lm), this.height, this.width)) return p;
      p = sampleEyeParams(rng, shapes);
    }
    // Fall back to a centred, straight-ahead eye, which always fits.
    return { ...p, pitch: 0, yaw: 0, headPitch: 0, headYaw: 0, headRoll: 0, shiftX: 0, shiftY: 0 };
  }

  /** Geometry pass for `p`; returns the geometry (the G-buffer is kept internally). */
  #prepare(p: EyeParams): EyeGeometry {
    const geo = computeGeometry(p, this.height, this.width);
    rasterize(geo, this.#buf);
    return geo;
  }

  /** Renders the clean simulator image of `p` (8-bit `H x W x C`). */
  renderSynthetic(p: EyeParams, out = new Uint8Array(this.#acc.length)): Uint8Array {
    const geo = this.#prepare(p);
    return this.#shadeSynthetic(geo, p, out);
  }

  #shadeSynthetic(geo: EyeGeometry, p: EyeParams, out: Uint8Array): Uint8Array {
    shadeSynthetic(geo, p, this.#buf, this.#acc, this.channels);
    return applyLut(this.#acc, this.#lut, out);
  }

  /** Renders the target-domain image of `p`; `rng` drives its appearance and camera. */
  renderReal(p: EyeParams, rng: Rng, out = new Uint8Array(this.#acc.length)): Uint8Array {
    const geo = this.#prepare(p);
    renderReal(geo, p, this.#buf, rng, this.channels, this.#acc, out, this.#scratch);
    return out;
  }

  /**
   * Renders sample `index` of a stream: its parameters, image(s), semantic map and landmarks.
   * Deterministic in `(spec, index)` and the renderer's size/channels/supersampling.
   */
  renderIndex(spec: StreamSpec, index: number, options: RenderOptions = {}): RenderedSample {
    const rng = new Rng(spec.seed).fork("eyegan-data", spec.domain, spec.split).fork(index);
    const p = this.sampleParams(rng.fork("params"), shapesOf(spec.domain));
    return this.renderParams(p, spec.domain, rng.fork("real"), options);
  }

  /**
   * Renders given parameters in a domain. `rng` drives the target domain's appearance and
   * camera (unused for `synthetic`).
   */
  renderParams(
    p: EyeParams,
    domain: DomainName,
    rng: Rng = new Rng(0),
    options: RenderOptions = {},
  ): RenderedSample {
    const geo = this.#prepare(p);
    const n = this.#acc.length;
    const map = options.map === false ? new Uint8Array(0) : semanticMap(this.#buf);
    const landmarks = computeLandmarks(geo);
    let image: Uint8Array, synthetic: Uint8Array | undefined;
    if (domain === "synthetic") {
      image = this.#shadeSynthetic(geo, p, new Uint8Array(n));
    } else {
      if (domain === "paired") synthetic = this.#shadeSynthetic(geo, p, new Uint8Array(n));
      image = new Uint8Array(n);
      renderReal(geo, p, this.#buf, rng, this.channels, this.#acc, image, this.#scratch);
    }
    return {
      gaze: { pitch: p.pitch, yaw: p.yaw },
      headPose: { pitch: p.headPitch, yaw: p.headYaw, roll: p.headRoll },
      image,
      map,
      synthetic,
      landmarks,
      params: p,
    };
  }
}

/** Consecutive samples of a stream as flat arrays (the layout of the data set files). */
export interface SampleBatch {
  /** Number of samples. */
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  /** `count x H x W x C` uint8 (paired: the target-domain twins). */
  images: Uint8Array;
  /** `count x 2` (pitch, yaw) radians. */
  gaze: Float32Array;
  /** `count x 3` head (pitch, yaw, roll) radians. */
  headPose: Float32Array;
  /** `count x 55 x 2` landmarks in output pixels. */
  landmarks: Float32Array;
  /** `count x H x W` class ids (synthetic and paired). */
  maps?: Uint8Array;
  /** `count x H x W x C` synthetic renders (paired). */
  synthetic?: Uint8Array;
}

/** Renders samples `start .. start + count - 1` of a stream into flat arrays. */
export function renderBatch(
  renderer: EyeRenderer,
  spec: StreamSpec,
  start: number,
  count: number,
): SampleBatch {
  const { height: h, width: w, channels: c } = renderer;
  const px = h * w;
  const out: SampleBatch = {
    count,
    height: h,
    width: w,
    channels: c,
    images: new Uint8Array(count * px * c),
    gaze: new Float32Array(count * 2),
    headPose: new Float32Array(count * 3),
    landmarks: new Float32Array(count * LANDMARK_TOTAL * 2),
    maps: spec.domain !== "real" ? new Uint8Array(count * px) : undefined,
    synthetic: spec.domain === "paired" ? new Uint8Array(count * px * c) : undefined,
  };
  for (let i = 0; i < count; i++) {
    const s = renderer.renderIndex(spec, start + i, { map: out.maps !== undefined });
    out.images.set(s.image, i * px * c);
    out.gaze[2 * i] = s.gaze.pitch;
    out.gaze[2 * i + 1] = s.gaze.yaw;
    out.headPose[3 * i] = s.headPose.pitch;
    out.headPose[3 * i + 1] = s.headPose.yaw;
    out.headPose[3 * i + 2] = s.headPose.roll;
    out.landmarks.set(s.landmarks, i * LANDMARK_TOTAL * 2);
    out.maps?.set(s.map, i * px);
    if (out.synthetic && s.synthetic) out.synthetic.set(s.synthetic, i * px * c);
  }
  return out;
}

/** Options of {@link renderDataset} and {@link renderBatchTiming}. */
export interface RenderDatasetOptions extends RendererOptions {
  domain: DomainName;
  n: number;
  seed?: number | string;
  split?: string;
}

/**
 * Renders a whole data set in memory (samples `0 .. n-1` of `(seed, domain, split)`); the same
 * arrays {@link renderBatch} gives and `makeDataset` writes.
 */
export function renderDataset(options: RenderDatasetOptions): SampleBatch {
  const renderer = new EyeRenderer(options);
  return renderBatch(
    renderer,
    { domain: options.domain, seed: options.seed ?? 0, split: options.split ?? "train" },
    0,
    options.n,
  );
}

/**
 * Times {@link renderDataset} (single thread, after a short warm-up) and returns images per
 * second; for benchmarks.
 */
export function renderBatchTiming(
  options: RenderDatasetOptions,
): { n: number; seconds: number; imagesPerSecond: number } {
  const renderer = new EyeRenderer(options);
  const spec = { domain: options.domain, seed: options.seed ?? 0, split: options.split ?? "train" };
  renderBatch(renderer, { ...spec, split: `${spec.split}-warmup` }, 0, Math.min(20, options.n));
  const t0 = performance.now();
  renderBatch(renderer, spec, 0, options.n);
  const seconds = (performance.now() - t0) / 1000;
  return { n: options.n, seconds, imagesPerSecond: options.n / seconds };
}
