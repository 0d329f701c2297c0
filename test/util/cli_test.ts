import assert from "node:assert/strict";
import {
  channelsFlag,
  choiceFlag,
  formatFlags,
  intFlag,
  listFlag,
  numberFlag,
  parsedFlag,
  parseFlags,
  requiredFlag,
  SetupError,
  sizeFlag,
  taskExitCode,
  UsageError,
} from "../../lib/util/cli.ts";

const SPEC = {
  out: { type: "string" },
  steps: { type: "string", default: "10" },
  quiet: { type: "boolean", short: "q", default: false },
} as const;

Deno.test("parseFlags: defaults, short flags, positionals; strict errors list the valid flags", () => {
  const { values, positionals } = parseFlags(["-q", "--out", "x"], SPEC);
  assert.deepEqual({ ...values }, { out: "x", steps: "10", quiet: true });
  assert.deepEqual(positionals, []);
  assert.deepEqual(parseFlags(["a", "b"], SPEC, { positionals: true }).positionals, ["a", "b"]);
  assert.equal(formatFlags(SPEC), "--out, --steps, --quiet (-q)");
  assert.throws(
    () => parseFlags(["--bogus"], SPEC),
    (e) =>
      e instanceof UsageError &&
      /^Unknown option '--bogus'[\s\S]*\nvalid flags: --out, --steps, --quiet \(-q\)$/.test(
        e.message,
      ),
  );
  assert.throws(() => parseFlags(["extra"], SPEC), /positional[\s\S]*valid flags: --out/i);
  assert.throws(() => parseFlags(["--out"], SPEC), /argument missing[\s\S]*valid flags/);
});

Deno.test("value parsers: ranges and messages", () => {
  assert.equal(intFlag("runs", "5"), 5);
  assert.equal(intFlag("retries", "0", 0), 0);
  assert.throws(
    () => intFlag("runs", "0"),
    /^UsageError: --runs must be an integer >= 1, got '0'$/,
  );
  assert.throws(() => intFlag("k", "5", 1, 4), /--k must be an integer in 1\.\.4, got '5'/);
  assert.throws(() => intFlag("k", "1.5"), UsageError);
  assert.throws(() => intFlag("k", undefined), /got 'undefined'/);
  assert.equal(numberFlag("lr", "1e-3"), 0.001);
  assert.throws(() => numberFlag("lr", "fast"), /--lr must be a number/);
  assert.deepEqual(sizeFlag("size", "36x60"), { height: 36, width: 60 });
  assert.throws(() => sizeFlag("size", "0x60"), /--size must be HEIGHTxWIDTH with sides >= 1/);
  assert.throws(
    () => sizeFlag("size", "8x60", { min: 16, max: 512 }),
    /--size must be HEIGHTxWIDTH with sides in 16\.\.512, e\.g\. 36x60, got '8x60'/,
  );
  assert.throws(() => sizeFlag("size", "36"), UsageError);
  assert.equal(requiredFlag("out", "x"), "x");
  assert.throws(() => requiredFlag("out", ""), /^UsageError: missing --out$/);
  assert.equal(choiceFlag("split", "val", ["train", "val"]), "val");
  assert.throws(
    () => choiceFlag("split", "dev", ["train", "val"]),
    /unknown --split "dev"; use one of train, val/,
  );
  assert.throws(() => choiceFlag("split", undefined, ["train"]), /missing --split: one of train/);
  assert.equal(channelsFlag("channels", "3"), 3);
  assert.throws(() => channelsFlag("channels", "2"), /--channels must be 1 or 3, got '2'/);
  assert.deepEqual(listFlag(" a, b,,c "), ["a", "b", "c"]);
  assert.equal(parsedFlag("n", "7", Number), 7);
  assert.throws(
    () =>
      parsedFlag("backend", "tpu", () => {
        throw new Error("unknown backend 'tpu'");
      }),
    (e) => e instanceof UsageError && e.message === "--backend: unknown backend 'tpu'",
  );
});

/** Runs `taskExitCode`, capturing stdout and stderr. */
async function exitCode(
  main: () => Promise<number | void>,
  hint?: (e: unknown) => string | undefined,
): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    const code = await taskExitCode("demo", "Usage: demo", main, { hint });
    return { code, err: err.join("\n") };
  } finally {
    console.error = error;
  }
}

Deno.test("taskExitCode: 0/its own code, 2 with usage, 2 without for setup, 1 with a hint", async () => {
  assert.deepEqual(await exitCode(() => Promise.resolve()), { code: 0, err: "" });
  assert.equal((await exitCode(() => Promise.resolve(1))).code, 1);
  assert.deepEqual(await exitCode(() => Promise.reject(new UsageError("bad flag"))), {
    code: 2,
    err: "demo: bad flag\n\nUsage: demo",
  });
  assert.deepEqual(await exitCode(() => Promise.reject(new SetupError("no jupyter"))), {
    code: 2,
    err: "demo: no jupyter",
  });
  const hint = (e: unknown) => (e instanceof RangeError ? "(try a smaller N)" : undefined);
  assert.deepEqual(await exitCode(() => Promise.reject(new RangeError("too big")), hint), {
    code: 1,
    err: "demo: too big\n(try a smaller N)",
  });
  assert.deepEqual(await exitCode(() => Promise.reject(new Error("disk full")), hint), {
    code: 1,
    err: "demo: disk full",
  });
});

Deno.test("taskExitCode: EYEGAN_DEBUG is read only where --allow-env lets it (never a prompt)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eyegan-cli-" });
  try {
    const script = `${dir}/fail.ts`;
    const cli = new URL("../../lib/util/cli.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { runTask } from ${JSON.stringify(cli)};\n` +
        `await runTask("demo", "Usage: demo", () => { throw new Error("it broke"); });\n`,
    );
    const run = async (allowEnv: string) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-config", `--allow-read=${dir}`, allowEnv, script],
        env: { EYEGAN_DEBUG: "1", NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: out.code, err: new TextDecoder().decode(out.stderr) };
    };
    // Not allowed to read it (as the compare and check-browser tasks): no stack, no prompt.
    const denied = await run("--allow-env=IMAGESCRIPT_WASM_SIMD");
    assert.equal(denied.code, 1);
    assert.equal(denied.err.trim(), "demo: it broke");
    // In a terminal (a pty from util-linux's script, where there is one), Deno would prompt.
    if (await Deno.stat("/usr/bin/script").then(() => true, () => false)) {
      const command = `${Deno.execPath()} run --no-config --allow-read=${dir} ` +
        `--allow-env=IMAGESCRIPT_WASM_SIMD ${script}`;
      const out = await new Deno.Command("/usr/bin/script", {
        args: ["-qec", command, "/dev/null"],
        env: { EYEGAN_DEBUG: "1", NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(30_000),
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.doesNotMatch(text, /Deno requests/);
      assert.match(text, /demo: it broke/);
      assert.equal(out.code, 1);
    }
    // Allowed: the stack trace.
    const allowed = await run("--allow-env=EYEGAN_DEBUG");
    assert.equal(allowed.code, 1);
    assert.match(allowed.err, /^demo: Error: it broke\n\s+at /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
