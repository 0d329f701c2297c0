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
  format: typeof ESTIMATOR_CACHE_FORMAT;
  key: string;
  material: EstimatorCacheMaterial;
  final_loss: number;
  train_seconds: number;
  created: string;
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
  const log = options.log ?? ((line: string) => console.error(line));
  let key: string | null = null;
  let material: EstimatorCacheMaterial | undefined;
  const cacheDir = options.cacheDir === false ? undefined : options.cacheDir.replace(/\/+$/, "");
  if (cacheDir !== undefined) {
    ({ key, material } = await estimatorCacheKey(train, options.config));
    const entryDir = `${cacheDir}/${key}`;
    const entryPath = `${entryDir}/entry.json`;
    if (await exists(entryPath)) {
      try {
        const entry = await readJson<CacheEntryFile>(entryPath);
        if (entry.format === ESTIMATOR_CACHE_FORMAT && entry.key === key) {
          const est = await loadEstimator(`${entryDir}/estimator.safetensors`, options.namespace);
          if (!options.quiet) log(`${options.label}: estimator from the cache (${entryDir})`);
          return {
            est,
            cached: true,
            key,
            finalLoss: entry.final_loss,
            trainSeconds: entry.train_seconds,
          };
        }
      } catch (e) {
        if (!options.quiet) {
          log(
            `${options.label}: cache entry ${entryDir} unusable (${
              (e as Error).message
            }); retraining`,
          );
        }
      }
    }
  }
  const { est, seconds: trainSeconds, finalLoss } = await trainEstimatorWithProgress(
    train,
    options.config,
    { label: options.label, quiet: options.quiet, namespace: options.namespace },
  );
  if (cacheDir !== undefined && key !== null && material !== undefined) {
    const entry: CacheEntryFile = {
      format: ESTIMATOR_CACHE_FORMAT,
      key,
      material,
      final_loss: finalLoss,
      train_seconds: trainSeconds,
      created: new Date().toISOString(),
    };
    try {
      await Deno.mkdir(cacheDir, { recursive: true });
      await writeDirectoryAtomically(`${cacheDir}/${key}`, true, async (partial) => {
        await saveEstimator(est, `${partial}/estimator.safetensors`);
        await Deno.writeTextFile(`${partial}/entry.json`, JSON.stringify(entry, null, 2) + "\n");
      });
    } catch (e) {
      // A failed cache write (a full disk, a concurrent writer) costs a retraining later, not
      // this evaluation.
      log(
        `${options.label}: could not cache the estimator in ${cacheDir}/${key} (${
          (e as Error).message
        })`,
      );
    }
  }
  return { est, cached: false, key, finalLoss, trainSeconds };
}
