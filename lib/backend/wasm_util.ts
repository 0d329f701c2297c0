/**
 * Small helpers shared by the project's `wasm` training kernels: typed access to the
 * `BackendWasm` internals the kernels need, running another registered `wasm` kernel directly
 * (no engine bookkeeping, no tensors), and views on the WebAssembly heap.
 *
 * Kernels written with these helpers receive and return `TensorInfo`s. Every intermediate
 * `TensorInfo` a kernel makes must be released with {@link disposeInfo} before it returns.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** What `BackendWasm.dataIdMap` stores for one tensor. */
export interface WasmTensorData {
  /** The backend's numeric id of the tensor (what the C++ side knows it by). */
  id: number;
  /** Byte offset of the tensor's data in the WebAssembly heap. */
  memoryOffset: number;
  /** Shape at creation. */
  shape: number[];
  /** Element type. */
  dtype: tf.DataType;
  /** Number of `TensorInfo`s sharing the data. */
  refCount: number;
}

/** The part of `BackendWasm` the project's kernels use. */
export interface WasmBackend {
  /** Maps a `dataId` to where its data lives. */
  dataIdMap: { get(dataId: object): WasmTensorData | undefined };
  /** Allocates an output tensor on the heap (contents uninitialised). */
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A typed-array view on a tensor's data (invalidated by any later allocation). */
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  /** Drops one reference to the data (frees it at zero). */
  disposeData(dataId: object, force?: boolean): boolean;
  /** Copies a tensor's data out of the heap. */
  readSync(dataId: object): unknown;
}

/** Arguments a kernel function receives. */
export interface KernelArgs {
  /** Named inputs. */
  inputs: tf.NamedTensorInfoMap;
  /** The backend instance (a `BackendWasm`). */
  backend: unknown;
  /** Attributes of the op. */
  attrs?: tf.NamedAttrMap;
}

/** Casts the opaque backend a kernel receives to {@link WasmBackend}. */
export function asWasm(backend: unknown): WasmBackend {
  return backend as WasmBackend;
}

/**
 * Runs the kernel currently registered for `name` on `wasm` and returns its single output.
 *
 * @throws if no such kernel is registered.
 */
export function runWasm(
  name: string,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap,
  backend: WasmBackend,
): tf.TensorInfo {
  const kernel = tf.getKernel(name, "wasm");
  if (kernel === undefined) throw new Error(`kernel '${name}' is not registered for 'wasm'`);
  const out = kernel.kernelFunc({ inputs, attrs, backend: backend as unknown as tf.KernelBackend });
  return Array.isArray(out) ? out[0] : out;
}

/** Releases intermediate `TensorInfo`s made inside a kernel. */
export function disposeInfo(backend: WasmBackend, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** A `Float32Array` view on a float32 tensor's heap data (re-take it after any allocation). */
export function f32(backend: WasmBackend, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** A view of `info` with another shape (same data, no copy, no new reference). */
export function reshapeInfo(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/**
 * Gives a kernel-owned `TensorInfo` another shape of the same size (no copy), keeping the
 * backend's record of the shape in step (some kernels read it from there).
 */
export function relabel(
  backend: WasmBackend,
  info: tf.TensorInfo,
  shape: number[],
): tf.TensorInfo {
  const data = backend.dataIdMap.get(info.dataId);
  if (data !== undefined) data.shape = shape;
  return { dataId: info.dataId, shape, dtype: info.dtype };
}
