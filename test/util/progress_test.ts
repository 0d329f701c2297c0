import assert from "node:assert/strict";
import { formatDuration, ProgressBar, type ProgressSink } from "../../lib/util/progress.ts";

function sink(tty: boolean): ProgressSink & { text: () => string } {
  const chunks: string[] = [];
  const dec = new TextDecoder();
  return {
    writeSync(b: Uint8Array) {
      chunks.push(dec.decode(b));
      return b.length;
    },
    isTerminal: () => tty,
    text: () => chunks.join(""),
  };
}

Deno.test("ProgressBar: line shows step/total, percent, rate, ETA and fields", () => {
  let t = 0;
  const bar = new ProgressBar(200, {
    label: "render",
    unit: "img",
    sink: sink(false),
    now: () => t,
  });
  t = 1000;
  bar.update(50, { loss: 0.12345 });
  const line = bar.render();
  assert.match(line, /^render {2}\[#{6}\.{18}\]/);
  assert.match(line, / 50\/200/);
  assert.match(line, /25%/);
  assert.match(line, /50\.0 img\/s/);
  assert.match(line, /ETA 0:03/);
  assert.match(line, /loss=0\.1235/);
});

Deno.test("ProgressBar: not a terminal -> periodic plain lines and a final one", () => {
  let t = 0;
  const out = sink(false);
  const bar = new ProgressBar(100, { sink: out, now: () => t, logEveryMs: 10_000 });
  for (let i = 1; i <= 100; i++) {
    t += 100; // 10 s in total
    bar.tick();
  }
  bar.finish();
  bar.finish(); // idempotent
  const lines = out.text().trimEnd().split("\n");
  assert.ok(!out.text().includes("\r"));
  assert.ok(lines.length >= 2 && lines.length <= 3, lines.join("|"));
  assert.match(lines.at(-1)!, /100\/100/);
  assert.match(lines.at(-1)!, /in 0:10/);
});

Deno.test("ProgressBar: terminal redraws in place; quiet prints nothing", () => {
  let t = 0;
  const out = sink(true);
  const bar = new ProgressBar(10, { sink: out, now: () => t });
  for (let i = 0; i < 10; i++) {
    t += 200;
    bar.tick();
  }
  bar.finish();
  assert.ok(out.text().startsWith("\r"));
  assert.ok(out.text().endsWith("\n"));
  const q = sink(true);
  const quiet = new ProgressBar(10, { sink: q, quiet: true });
  quiet.tick(10);
  quiet.finish();
  assert.equal(q.text(), "");
});

Deno.test("formatDuration", () => {
  assert.equal(formatDuration(5), "0:05");
  assert.equal(formatDuration(65), "1:05");
  assert.equal(formatDuration(3725), "1:02:05");
  assert.equal(formatDuration(Infinity), "?");
});
