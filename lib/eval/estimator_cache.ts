/**
 * A cache of trained gaze estimators, so that evaluations of several methods on the same data
 * do not retrain the same baselines (the estimator trained on raw synthetic images, and the one
 * trained on target-domain images).
 *
 * ## Key
 *
 * An entry is keyed by the SHA-256 (first 24 hex digits) of the canonical JSON of:
 *
 * | field | what |
 * |---|---|
 * | `format` | {@link ESTIMATOR_CACHE_FORMAT} (a new format invalidates every entry) |
 * | `train.dir` | the training set's real path (`Deno.realPath`) |
 * | `train.meta_sha256` | SHA-256 of its `meta.json` (generator version, seed, count, ...) |
 * | `train.gaze_sha256` | SHA-256 of its `gaze.npy` (the labels, bit for bit) |
 * | `train.images_bytes` | the size of its `images.npy` |
 * | `config` | the complete resolved `EstimatorConfig`, seed and steps included |
 * | `backend`, `tfjs` | the backend (`initBackend`'s name: `wasm`, `tfjs-node`, `tfjs-node-gpu`, ...; else TensorFlow.js's) and the TensorFlow.js version (results differ by backend) |
 *
 * So regenerating a data set in place (new meta or labels), changing any estimator setting, or
 * switching backend gives a new key; moving the data set elsewhere also does (a miss, never a
 * wrong hit). Images rewritten with identical size, labels and `meta.json` would not be noticed.
 *
 * ## Layout
 *
 * ```text
 * <cacheDir>/<key>/estimator.safetensors   the weights (saveEstimator)
 * <cacheDir>/<key>/entry.json               { format, key, material, final_loss, train_seconds }
 * ```
 *
 * Entries are written atomically (a directory renamed into place); an unreadable entry is
 * retrained and replaced. Delete the folder to clear the cache.
 *
 * The mechanism ({@link obtainCachedModel}: key from canonical JSON, entry layout, atomic
 * writes) is shared with the segmenter of the paired evaluation's segmentation score
 * (`segmentation.ts`, entries in `runs/.cache/segmenters`, `segmenter.safetensors`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { backendReport } from "../backend/mod.ts";
import { type Dataset, writeDirectoryAtomically } from "../data/dataset.ts";
import {
  type Estimator,
  type EstimatorConfig,
  loadEstimator,
  resolveEstimatorConfig,
  saveEstimator,
  trainEstimatorWithProgress,
} from "../gaze/estimator.ts";
import { exists, readJson } from "../util/fs.ts";
import { canonicalJson } from "./eval_file.ts";

export { canonicalJson };

/** Format tag of a cache entry (part of every key). */
export const ESTIMATOR_CACHE_FORMAT = "eyegan-estimator-cache/1";

/** The default cache folder. */
export const DEFAULT_ESTIMATOR_CACHE = "runs/.cache/estimators";

/** What a cache key is computed from (see the module documentation). */
export interface EstimatorCacheMaterial {
  format: typeof ESTIMATOR_CACHE_FORMAT;
  train: { dir: string; meta_sha256: string; gaze_sha256: string; images_bytes: number };
  config: EstimatorConfig;
  backend: string;
  tfjs: string;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The backend as the cache key names it: the project's name from `initBackend`'s report
 * (`tfjs-node` and `tfjs-node-gpu` are both `tensorflow` to TensorFlow.js, but their results
 * differ), else TensorFlow.js's own name when the backend was set up another way.
 */
function backendKeyName(): string {
  return backendReport()?.name ?? tf.getBackend();
}

/**
 * The cache key of an estimator trained on `train` with `config` on the current backend.
 *
 * @returns the key (24 hex digits) and what it was computed from.
 */
export async function estimatorCacheKey(
  train: Dataset,
  config: Partial<EstimatorConfig>,
): Promise<{ key: string; material: EstimatorCacheMaterial }> {
  const dir = train.dir;
  const material: EstimatorCacheMaterial = {
    format: ESTIMATOR_CACHE_FORMAT,
    train: {
      dir: await Deno.realPath(dir),
      meta_sha256: await sha256Hex(await Deno.readFile(`${dir}/meta.json`)),
      gaze_sha256: await sha256Hex(await Deno.readFile(`${dir}/gaze.npy`)),
      images_bytes: (await Deno.stat(`${dir}/images.npy`)).size,
    },
    config: resolveEstimatorConfig(train, config),
    backend: backendKeyName(),
    tfjs: tf.version_core,
  };
  const digest = await sha256Hex(new TextEncoder().encode(canonicalJson(material)));
  return { key: digest.slice(0, 24), material };
}

/** Options of {@link obtainEstimator}. */
export interface ObtainEstimatorOptions {
  /** Estimator settings (image size comes from the data set). */
  config: Partial<EstimatorConfig>;
  /** Cache folder, or `false` to train without caching. */
  cacheDir: string | false;
  /** Variable namespace of the estimator (distinct for estimators alive at the same time). */
  namespace: string;
  /** Progress-bar label. */
  label: string;
  /** No progress bar or log lines. */
  quiet?: boolean;
  /** Where log lines go (default `console.error`). */
  log?: (line: string) => void;
}

/** An estimator from {@link obtainEstimator}. */
export interface ObtainedEstimator {
  est: Estimator;
  /** Whether it came from the cache (else it was trained now). */
  cached: boolean;
  /** Its cache key (`null` without a cache). */
  key: string | null;
  /** Training loss of the last step (from the cache entry when cached). */
  finalLoss: number;
  /** Seconds its training took (when it was trained, possibly earlier). */
  trainSeconds: number;
}

interface CacheEntryFile {
  format: string;
  key: string;
  material: unknown;
  final_loss: number;
  train_seconds: number;
  created: string;
}

/**
 * A model that {@link obtainCachedModel} trains or loads: how to compute its key material, train
 * it, save and load it. The gaze estimators ({@link obtainEstimator}) and the segmenter of the
 * paired evaluation (`lib/eval/segmentation.ts`) share this mechanism and layout.
 */
export interface CachedModelSpec<M> {
  /** Format tag of the entries, part of the key material (a new format invalidates them). */
  format: string;
  /** Cache folder, or `false` to train without caching. */
  cacheDir: string | false;
  /** File name of the weights inside an entry, e.g. `estimator.safetensors`. */
  weightsFile: string;
  /** What the key is computed from (its canonical JSON is hashed; `format` is added). */
  material: () => Promise<Record<string, unknown>>;
  /** Trains the model now. */
  train: () => Promise<{ model: M; seconds: number; finalLoss: number }>;
  save: (model: M, path: string) => Promise<void>;
  load: (path: string) => Promise<M>;
  /** Names the model in log lines, e.g. `estimator`. */
  what: string;
  /** Log-line prefix. */
  label: string;
  quiet?: boolean;
  log?: (line: string) => void;
}

/** A model from {@link obtainCachedModel}. */
export interface CachedModel<M> {
  model: M;
  /** Whether it came from the cache (else it was trained now). */
  cached: boolean;
  /** Its cache key (`null` without a cache). */
  key: string | null;
  /** Training loss of the last step (from the cache entry when cached). */
  finalLoss: number;
  /** Seconds its training took (when it was trained, possibly earlier). */
  trainSeconds: number;
}

/** The key (24 hex digits) of key material: SHA-256 of its canonical JSON. */
export async function cacheKeyOf(material: unknown): Promise<string> {
  return (await sha256Hex(new TextEncoder().encode(canonicalJson(material)))).slice(0, 24);
}

/** SHA-256 of a file's bytes, as hex. */
export async function fileSha256(path: string): Promise<string> {
  return await sha256Hex(await Deno.readFile(path));
}

/** The backend as cache keys name it (see {@link estimatorCacheKey}). */
export function cacheBackendName(): string {
  return backendKeyName();
}

/**
 * Trains a model, or loads it from the cache when an entry with the same key exists (and
 * stores a newly trained one there); see the module documentation for the layout. An unreadable
 * entry is retrained and replaced; a failed cache write is logged, not thrown.
 */
export async function obtainCachedModel<M>(spec: CachedModelSpec<M>): Promise<CachedModel<M>> {
  const log = spec.log ?? ((line: string) => console.error(line));
  let key: string | null = null;
  let material: unknown;
  const cacheDir = spec.cacheDir === false ? undefined : spec.cacheDir.replace(/\/+$/, "");
  if (cacheDir !== undefined) {
    material = { format: spec.format, ...(await spec.material()) };
    key = await cacheKeyOf(material);
    const entryDir = `${cacheDir}/${key}`;
    const entryPath = `${entryDir}/entry.json`;
    if (await exists(entryPath)) {
      try {
        const entry = await readJson<CacheEntryFile>(entryPath);
        if (entry.format === spec.format && entry.key === key) {
          const model = await spec.load(`${entryDir}/${spec.weightsFile}`);
          if (!spec.quiet) log(`${spec.label}: ${spec.what} from the cache (${entryDir})`);
          return {
            model,
            cached: true,
            key,
            finalLoss: entry.final_loss,
            trainSeconds: entry.train_seconds,
          };
        }
      } catch (e) {
        if (!spec.quiet) {
          log(
            `${spec.label}: cache entry ${entryDir} unusable (${(e as Error).message}); retraining`,
          );
        }
      }
    }
  }
  const { model, seconds: trainSeconds, finalLoss } = await spec.train();
  if (cacheDir !== undefined && key !== null) {
    const entry: CacheEntryFile = {
      format: spec.format,
      key,
      material,
      final_loss: finalLoss,
      train_seconds: trainSeconds,
      created: new Date().toISOString(),
    };
    try {
      await Deno.mkdir(cacheDir, { recursive: true });
      await writeDirectoryAtomically(`${cacheDir}/${key}`, true, async (partial) => {
        await spec.save(model, `${partial}/${spec.weightsFile}`);
        await Deno.writeTextFile(`${partial}/entry.json`, JSON.stringify(entry, null, 2) + "\n");
      });
    } catch (e) {
      // A failed cache write (a full disk, a concurrent writer) costs a retraining later, not
      // this evaluation.
      log(
        `${spec.label}: could not cache the ${spec.what} in ${cacheDir}/${key} (${
          (e as Error).message
        })`,
      );
    }
  }
  return { model, cached: false, key, finalLoss, trainSeconds };
}

/**
 * Trains an estimator on `train`, or loads it from the cache when an entry with the same key
 * exists (and stores a newly trained one there).
 *
 * @param train the labelled training set.
 * @param options config, cache folder, namespace, progress.
 */
export async function obtainEstimator(
  train: Dataset,
  options: ObtainEstimatorOptions,
): Promise<ObtainedEstimator> {
  const got = await obtainCachedModel<Estimator>({
    format: ESTIMATOR_CACHE_FORMAT,
    cacheDir: options.cacheDir,
    weightsFile: "estimator.safetensors",
    material: async () => {
      const { format: _, ...rest } = (await estimatorCacheKey(train, options.config)).material;
      return rest;
    },
    train: async () => {
      const r = await trainEstimatorWithProgress(train, options.config, {
        label: options.label,
        quiet: options.quiet,
        namespace: options.namespace,
      });
      return { model: r.est, seconds: r.seconds, finalLoss: r.finalLoss };
    },
    save: (est, path) => saveEstimator(est, path),
    load: (path) => loadEstimator(path, options.namespace),
    what: "estimator",
    label: options.label,
    quiet: options.quiet,
    log: options.log,
  });
  return {
    est: got.model,
    cached: got.cached,
    key: got.key,
    finalLoss: got.finalLoss,
    trainSeconds: got.trainSeconds,
  };
}
