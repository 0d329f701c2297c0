/**
 * Multi-threaded `wasm` backend in Deno.
 *
 * tfjs treats Deno as Node and, on Node, turns `WASM_HAS_MULTITHREAD_SUPPORT` off. Forcing the
 * flag fails: emscripten's Node path does `new (require("worker_threads").Worker)(url)` with the
 * blob URL of its worker script, which Deno's `worker_threads` rejects (`ERR_WORKER_PATH`), and
 * its worker script would `require()` Node modules. {@link enableWasmThreads} instead gives
 * emscripten a `Worker` class that starts `wasm_pthread_worker.ts`, which runs emscripten's
 * worker script on its web-worker path.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import os from "node:os";
import { Worker as NodeWorker } from "node:worker_threads";

const RealWorker = globalThis.Worker;
const WORKER_URL = new URL("./wasm_pthread_worker.ts", import.meta.url);

/**
 * emscripten's Node path calls `new Worker(url)` and then uses the `worker_threads.Worker` API
 * (`on`, `postMessage`, `terminate`): start our worker script as such a Worker, unref()ed so
 * that idle pool threads never keep the process alive.
 */
function pthreadWorker(scriptUrl: string): NodeWorker {
  const worker = new NodeWorker(WORKER_URL, { workerData: { src: scriptUrl } });
  // Deno's worker_threads polyfill re-refs a Worker when it is used: unref after each use.
  const post = worker.postMessage.bind(worker);
  const on = worker.on.bind(worker);
  worker.postMessage = ((message: unknown, transfer?: never) => {
    post(message, transfer);
    worker.unref();
  }) as typeof worker.postMessage;
  worker.on = ((event: string, listener: (...args: unknown[]) => void) => {
    on(event, listener);
    worker.unref();
    return worker;
  }) as typeof worker.on;
  worker.unref();
  return worker;
}

let enabled = false;

function threadsValidate(): boolean {
  try {
    new MessageChannel().port1.postMessage(new SharedArrayBuffer(1));
    return WebAssembly.validate(
      new Uint8Array([
        0,
        97,
        115,
        109,
        1,
        0,
        0,
        0,
        1,
        4,
        1,
        96,
        0,
        0,
        3,
        2,
        1,
        0,
        5,
        4,
        1,
        3,
        1,
        1,
        10,
        11,
        1,
        9,
        0,
        65,
        0,
        254,
        16,
        2,
        0,
        26,
        11,
      ]),
    );
  } catch {
    return false;
  }
}

/**
 * Makes the next initialisation of the `wasm` backend use its multi-threaded XNNPACK build.
 * Call it before `tf.setBackend("wasm")` initialises the backend for the first time.
 *
 * @returns whether threads will be used (false outside Deno or without wasm threads).
 */
export function enableWasmThreads(threads: number = navigator.hardwareConcurrency): boolean {
  if (enabled) return true;
  if (typeof Deno === "undefined" || RealWorker === undefined || !threadsValidate()) return false;
  // emscripten (Node path) assigns `globalThis.Worker = worker_threads.Worker` and then calls
  // `new Worker(url)`: keep Deno's Worker for everyone else, give emscripten PthreadWorker.
  Object.defineProperty(globalThis, "Worker", {
    configurable: true,
    get: () => PthreadWorkerOrReal,
    set: () => {},
  });
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  // The C++ side sizes its pool as min(requested, emscripten_num_logical_cores() / 2), read
  // once from `os.cpus().length` (Node path) when the module starts: answer that one call with
  // twice the wanted thread count, then restore `os.cpus`.
  const realCpus = os.cpus;
  const wanted = Math.max(1, Math.floor(threads));
  // (only the length is read; the real os.cpus() would need --allow-sys)
  os.cpus = () => {
    os.cpus = realCpus;
    return Array.from({ length: 2 * wanted }, () => ({
      model: "",
      speed: 0,
      times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 },
    }));
  };
  enabled = true;
  return true;
}

/** Size of the pthread pool emscripten creates at start-up (`pthreadPoolSize` in the glue). */
const POOL_SIZE = 8;
let created = 0;

function restoreWorker(): void {
  Object.defineProperty(globalThis, "Worker", {
    configurable: true,
    writable: true,
    value: RealWorker,
  });
}

/**
 * `new Worker(x)`: emscripten's pthread script (a blob URL, no options) or a normal worker.
 * Once emscripten has its whole pool, Deno's own `Worker` is put back.
 */
const PthreadWorkerOrReal = function (url: string | URL, options?: WorkerOptions): unknown {
  if (options === undefined && String(url).startsWith("blob:")) {
    const worker = pthreadWorker(String(url));
    if (++created === POOL_SIZE) restoreWorker();
    return worker;
  }
  return new RealWorker(url, options);
} as unknown as typeof Worker;
