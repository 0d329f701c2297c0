/**
 * The emscripten pthread worker of `@tensorflow/tfjs-backend-wasm`'s threaded build, adapted to
 * Deno (started by `wasm_threads.ts` as a `node:worker_threads` Worker, so that it can be
 * `unref()`ed and never keeps the process alive).
 *
 * It hides Deno's Node-compat `process` so that emscripten's worker script and glue take their
 * web-worker paths, gives them the web-worker globals they use (`self`, `postMessage`,
 * a synchronous `importScripts` that evaluates the glue text, which is read from the
 * Blob the main thread sends with its `load` command), then hands every message to emscripten's
 * own handler, in order.
 *
 * @module
 */
// deno-lint-ignore-file no-explicit-any
import { parentPort, workerData } from "node:worker_threads";

const scope = globalThis as any;
const port = parentPort!;
Object.defineProperty(scope, "process", { value: undefined, configurable: true, writable: true });
if (scope.self === undefined) scope.self = scope;
scope.postMessage = (message: unknown, transfer?: Transferable[]) =>
  port.postMessage(message, transfer as never);

let glue = "";
scope.importScripts = (_url: string) => {
  (0, eval)(glue);
};

const queue: any[] = [];
let busy = true;

async function handle(data: any): Promise<void> {
  if (data?.cmd === "load" && data.urlOrBlob instanceof Blob) {
    glue = await data.urlOrBlob.text();
    data.urlOrBlob = "eyegan-wasm-glue.js";
  }
  emscripten({ data });
}

async function drain(): Promise<void> {
  while (queue.length > 0) await handle(queue.shift());
  busy = false;
}

port.on("message", (data: any) => {
  if (busy || (data?.cmd === "load" && data.urlOrBlob instanceof Blob)) {
    queue.push(data);
    if (!busy) {
      busy = true;
      drain();
    }
    return;
  }
  emscripten({ data });
});

// emscripten's worker script (a classic script) sets `self.onmessage`
const src = await (await fetch((workerData as { src: string }).src)).text();
(0, eval)(src);
const emscripten: (e: { data: any }) => void = scope.onmessage;
drain();
