/**
 * Training kernels for the `wasm` backend (placeholder: filled in by the wasm-kernels work).
 *
 * @module
 */

/** Registers the project's training kernels for `wasm`. Safe to call more than once. */
export function registerWasmTrainingKernels(): void {
}
