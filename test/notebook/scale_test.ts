import assert from "node:assert/strict";
import { byScale, notebookScale, parseNotebookScale, SCALE_ENV } from "../../lib/notebook/scale.ts";

function withEnv(value: string | undefined, fn: () => void): void {
  const old = Deno.env.get(SCALE_ENV);
  if (value === undefined) Deno.env.delete(SCALE_ENV);
  else Deno.env.set(SCALE_ENV, value);
  try {
    fn();
  } finally {
    if (old === undefined) Deno.env.delete(SCALE_ENV);
    else Deno.env.set(SCALE_ENV, old);
  }
}

Deno.test("notebookScale reads EYEGAN_NOTEBOOK_SCALE, full by default", () => {
  withEnv(undefined, () => assert.equal(notebookScale(), "full"));
  withEnv("", () => assert.equal(notebookScale(), "full"));
  withEnv("smoke", () => assert.equal(notebookScale(), "smoke"));
  withEnv(" Smoke ", () => assert.equal(notebookScale(), "smoke"));
  withEnv(
    "huge",
    () =>
      assert.throws(() => notebookScale(), /EYEGAN_NOTEBOOK_SCALE: unknown notebook scale 'huge'/),
  );
});

Deno.test("byScale picks the value for the scale", () => {
  assert.equal(byScale({ smoke: 2, full: 200 }, "smoke"), 2);
  assert.equal(byScale({ smoke: 2, full: 200 }, "full"), 200);
  withEnv("smoke", () => assert.equal(byScale({ smoke: "s", full: "f" }), "s"));
  assert.throws(() => parseNotebookScale("x"), /expected one of smoke, full/);
});
