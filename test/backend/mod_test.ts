import assert from "node:assert/strict";
import { parseBackendName } from "../../lib/backend/mod.ts";

const ROOT = new URL("../../", import.meta.url);
const MOD = new URL("lib/backend/mod.ts", ROOT).href;

/** Runs `initBackend(options)` in a fresh Deno process (the wasm pool is fixed per process). */
async function initInChild(
  options: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<{ code: number; report?: Record<string, unknown>; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-backend-" });
  try {
    const script = `${dir}/init.ts`;
    await Deno.writeTextFile(
      script,
      `import { initBackend } from ${JSON.stringify(MOD)};\n` +
        `const r = await initBackend(${JSON.stringify(options)});\n` +
        `console.log(JSON.stringify(r));\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--config",
        new URL("deno.json", ROOT).pathname,
        "--allow-read",
        "--allow-env",
        "--allow-ffi",
        script,
      ],
      env: { NO_COLOR: "1", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
    return {
      code: out.code,
      report: out.code === 0 ? JSON.parse(stdout) : undefined,
      stderr: new TextDecoder().decode(out.stderr),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("initBackend auto: picks wasm here and says why each faster backend was skipped", async () => {
  const { code, report, stderr } = await initInChild({ backend: "auto" }, {
    EYEGAN_WASM_THREADS: "2",
  });
  assert.equal(code, 0, stderr);
  assert.ok(report);
  const attempts = report.attempts as { name: string; ok: boolean; reason: string }[];
  const chosen = attempts.find((a) => a.ok);
  assert.equal(report.name, chosen?.name);
  // Every backend before the chosen one was tried and has a reason.
  const order = ["tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu"];
  assert.deepEqual(attempts.map((a) => a.name), order.slice(0, attempts.length));
  for (const a of attempts.slice(0, -1)) {
    assert.equal(a.ok, false);
    assert.ok(a.reason.length > 10, `${a.name} has a reason`);
  }
  if (report.name === "wasm") {
    // The thread count is what the backend runs, not what was asked for.
    assert.equal((report.flags as Record<string, unknown>).wasmThreads, 2);
    assert.match(String(report.device), /2 threads/);
  }
});

Deno.test("initBackend: EYEGAN_WASM_THREADS=1 runs single-threaded", async () => {
  const { code, report, stderr } = await initInChild({ backend: "wasm" }, {
    EYEGAN_WASM_THREADS: "1",
  });
  assert.equal(code, 0, stderr);
  assert.equal((report!.flags as Record<string, unknown>).wasmThreads, 1);
  assert.match(String(report!.device), /single thread/);
});

Deno.test("initBackend: a bad EYEGAN_WASM_THREADS is an error for wasm, irrelevant for cpu", async () => {
  const bad = await initInChild({ backend: "wasm" }, { EYEGAN_WASM_THREADS: "many" });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /EYEGAN_WASM_THREADS must be a positive integer, got 'many'/);
  const cpu = await initInChild({ backend: "cpu" }, { EYEGAN_WASM_THREADS: "many" });
  assert.equal(cpu.code, 0, cpu.stderr);
  assert.equal(cpu.report!.name, "cpu");
});

Deno.test("initBackend: an unavailable backend requested by name is an error, not a fallback", async () => {
  // The native addon is not built in this checkout (its install script never ran).
  const { code, stderr } = await initInChild({ backend: "tfjs-node" });
  if (code === 0) return; // a machine with libtensorflow installed: nothing to check here
  assert.match(stderr, /backend 'tfjs-node' is not available: .*native addon/);
});

Deno.test("parseBackendName: lists the valid names", () => {
  assert.equal(parseBackendName("wasm"), "wasm");
  assert.throws(() => parseBackendName("tpu"), /unknown backend 'tpu': expected one of auto, /);
});
