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

Deno.test("notebookScale reads EYEGAN_NOTEBOOK_SCALE, small by default", () => {
  withEnv(undefined, () => assert.equal(notebookScale(), "small"));
  withEnv("", () => assert.equal(notebookScale(), "small"));
  withEnv("full", () => assert.equal(notebookScale(), "full"));
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
  assert.equal(byScale({ smoke: 2, small: 20, full: 200 }, "small"), 20);
  withEnv("smoke", () => assert.equal(byScale({ smoke: "s", full: "f" }), "s"));
  withEnv(undefined, () => assert.equal(byScale({ smoke: "s", small: "m", full: "f" }), "m"));
  assert.throws(() => parseNotebookScale("x"), /expected one of smoke, small, full/);
});

Deno.test("byScale gives small the full value when small is left out", () => {
  assert.equal(byScale({ smoke: 8, full: 32 }, "small"), 32);
  // an explicit small value wins, even a falsy one
  assert.equal(byScale({ smoke: 8, small: 0, full: 32 }, "small"), 0);
});
