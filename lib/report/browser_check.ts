/**
 * A real-browser check of the HTML people look at (run reports, comparison reports, exported
 * notebooks): each file is opened in headless Chromium, driven over the DevTools protocol with
 * Deno's built-in WebSocket, and must
 *
 * - load (`Page.loadEventFired`) within the timeout, without a navigation error;
 * - raise no JavaScript exception (`Runtime.exceptionThrown`), log no console error or failed
 *   assertion (`Runtime.consoleAPICalled`), and produce no browser log error
 *   (`Log.entryAdded`: failed resource loads, blocked requests, ...);
 * - request nothing outside the file (every `http(s)`/`ws(s)` request is blocked and reported:
 *   the reports are meant to open offline);
 * - render every plotly chart: every plot container (`.eyegan-plot`, the class
 *   `figureHtml` gives the `<div>` it draws into, and any other `.js-plotly-plot`) holds a
 *   `.main-svg`, and the page has at least as many containers as `class="eyegan-plot"` markers
 *   in the file's text (the plots the Report emitted);
 * - load every `<img>` (`complete` with `naturalWidth > 0`).
 *
 * The state is read from the document the navigation committed (its `loaderId` from
 * `Page.navigate`, matched by `Page.frameNavigated`; the load event counts only for it, and the
 * page's `location.href` must be its URL), never from the `about:blank` before it.
 *
 * Then it saves a screenshot (`Page.captureScreenshot`, the full page up to `maxHeight` CSS
 * pixels) as PNG. Chromium runs with a fresh temporary profile, as the leader of its own process
 * group, and is always shut down (`Browser.close`, then SIGKILL of its process group), also
 * after errors and timeouts, and the profile is removed; the check waits until every process
 * holding Chromium's stderr (its helpers: zygotes, renderers, GPU and utility processes) is
 * gone. Ctrl-C (SIGINT), SIGTERM and SIGHUP while a Chromium runs do the same, then exit with
 * 130, 143 and 129; the listeners are removed when the last browser is shut down. Where
 * `--allow-run` lists executables, `Deno.kill` is not allowed: SIGKILL then goes to the browser
 * alone, and its helpers exit by themselves.
 *
 * Exported notebooks: `exportNotebookHtml` (`lib/notebook/export.ts`) runs
 * `jupyter nbconvert --to html` on an executed notebook; {@link checkNotebook} exports and checks
 * it. nbconvert's templates load
 * require.js and MathJax from `file:///usr/share/javascript/...` (Debian) or a CDN, which the
 * notebooks do not need; failures to load exactly those are listed as ignored
 * ({@link NOTEBOOK_IGNORE}), anything else still fails.
 *
 * Needs `--allow-run` for the Chromium executable (and Jupyter for notebooks),
 * `--allow-net=127.0.0.1` (the DevTools socket), `--allow-read`, and `--allow-write` for the
 * screenshots and the temporary profile.
 *
 * @example
 * ```ts ignore
 * const results = await checkPages(["runs/simgan/report.html"], { outDir: "runs/browser-check" });
 * for (const r of results) console.log(formatPageResult(r));
 * ```
 *
 * @module
 */
import {
  exportNotebookHtml,
  JUPYTER,
  type NotebookExportOptions,
  uniqueExportNames,
} from "../notebook/export.ts";
import { isRecord } from "../util/fs.ts";

/** Where Chromium is looked for, in order (Debian's package installs `/usr/bin/chromium`). */
export const CHROMIUM_CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
] as const;

/** Default output folder of screenshots. */
export const BROWSER_CHECK_DIR = "runs/browser-check";

/**
 * URLs whose failure to load is expected in nbconvert's HTML export and ignored: the template's
 * require.js and MathJax (not installed with `--no-install-recommends`, or on a CDN offline).
 */
export const NOTEBOOK_IGNORE: readonly RegExp[] = [
  /\/require(\.min)?\.js(\?|$)/,
  /\/mathjax\/|MathJax\.js/i,
];

/** Options of {@link checkPages}. */
export interface BrowserCheckOptions {
  /** The Chromium executable (default: the first of {@link CHROMIUM_CANDIDATES} that exists). */
  chromium?: string;
  /** Where screenshots go (default {@link BROWSER_CHECK_DIR}); `null`: no screenshots. */
  outDir?: string | null;
  /** Viewport in CSS pixels (default 1280 x 900). */
  viewport?: { width: number; height: number };
  /** Screenshot height limit for full-page shots, CSS pixels (default 12000; 0: viewport only). */
  maxHeight?: number;
  /** Milliseconds for Chromium to start (default 30000). */
  launchTimeoutMs?: number;
  /** Milliseconds for a page to load (default 60000). */
  loadTimeoutMs?: number;
  /** Milliseconds for plots and images to finish after the load event (default 20000). */
  renderTimeoutMs?: number;
  /** Resource URLs whose failure (or external request) is ignored, e.g. {@link NOTEBOOK_IGNORE}. */
  ignoreUrls?: readonly RegExp[];
  /**
   * Plot containers each page must have (default: the `class="eyegan-plot"` markers in its
   * text); a number applies to every page.
   */
  expectPlots?: number;
  /** Called after each page (e.g. to print its line). */
  onResult?: (result: PageCheckResult) => void;
  /**
   * Called once Chromium runs, and awaited before the first page: its process id (the leader of
   * its process group) and temporary profile folder (for tests).
   */
  onLaunch?: (info: { pid: number; profile: string }) => void | Promise<void>;
  /** Where the temporary profile is made (default: the system's temporary folder). */
  tempDir?: string;
}

/** One plotly container on a page. */
export interface PlotState {
  /** The container's id. */
  id: string;
  /** Whether it holds a `.main-svg` (plotly drew it). */
  rendered: boolean;
  /** The start of its text, when not rendered (e.g. "plotly.js is not loaded ..."). */
  text?: string;
}

/** One `<img>` on a page. */
export interface ImageState {
  /** Its `src`, shortened for `data:` URIs. */
  src: string;
  alt: string;
  /** `naturalWidth` x `naturalHeight` (0 when it did not load). */
  width: number;
  height: number;
}

/** The outcome for one page. */
export interface PageCheckResult {
  /** The file as given. */
  file: string;
  /** The `file://` URL opened. */
  url: string;
  /** Whether every check passed. */
  ok: boolean;
  /** Why it failed, one line each (empty when `ok`). */
  problems: string[];
  /** Problems ignored by `ignoreUrls` (e.g. the notebook template's MathJax). */
  ignored: string[];
  /** Console warnings (not failures). */
  warnings: string[];
  /** The page's `<title>`. */
  title: string;
  /** Plot containers expected (from the file's text, or `expectPlots`). */
  expectedPlots: number;
  /** The plot containers found. */
  plots: PlotState[];
  /** Every `<img>`. */
  images: ImageState[];
  /** The screenshot written, if any. */
  screenshot?: string;
  /** Seconds from navigation to the end of the checks. */
  seconds: number;
}

/** The first Chromium of {@link CHROMIUM_CANDIDATES} that exists, or `undefined`. */
export async function findChromium(): Promise<string | undefined> {
  for (const path of CHROMIUM_CANDIDATES) {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // not there, or not readable: try the next
    }
  }
  return undefined;
}

/** The install hint when no Chromium is found. */
export const CHROMIUM_HINT =
  "no Chromium found (looked for /usr/bin/chromium and others): apt-get install chromium";

/** Absolute path of `path` (relative to the working directory). */
function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}

/** A `file://` URL of an absolute path, each segment percent-encoded. */
export function fileUrl(path: string): string {
  return `file://${absolute(path).split("/").map(encodeURIComponent).join("/")}`;
}

/** The number of plot containers a Report or `figureHtml` emitted into `html`. */
export function countPlotMarkers(html: string): number {
  return html.match(/class="eyegan-plot"/g)?.length ?? 0;
}

// ---------------------------------------------------------------------------------------------
// DevTools protocol over a WebSocket

interface CdpEvent {
  method: string;
  params: Record<string, unknown>;
  sessionId?: string;
}

/** A DevTools protocol connection: commands with ids, events to listeners. */
class Cdp {
  #ws: WebSocket;
  #next = 1;
  #pending = new Map<
    number,
    { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  #listeners = new Set<(e: CdpEvent) => void>();
  #closed: Error | undefined;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (m) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(String(m.data));
      } catch {
        return;
      }
      if (typeof msg.id === "number") {
        const p = this.#pending.get(msg.id);
        if (!p) return;
        this.#pending.delete(msg.id);
        if (isRecord(msg.error)) {
          p.reject(new Error(`DevTools: ${msg.error.message ?? JSON.stringify(msg.error)}`));
        } else p.resolve(isRecord(msg.result) ? msg.result : {});
      } else if (typeof msg.method === "string") {
        const event: CdpEvent = {
          method: msg.method,
          params: isRecord(msg.params) ? msg.params : {},
          sessionId: typeof msg.sessionId === "string" ? msg.sessionId : undefined,
        };
        for (const l of this.#listeners) l(event);
      }
    };
    ws.onclose = () => this.#fail(new Error("Chromium closed the DevTools connection"));
  }

  #fail(e: Error) {
    this.#closed ??= e;
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }

  /** Connects to `url` within `timeoutMs`. */
  static open(url: string, timeoutMs: number): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const timer = setTimeout(() => {
        ws.close();
        reject(new Error(`no DevTools connection to ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.onopen = () => {
        clearTimeout(timer);
        resolve(new Cdp(ws));
      };
      ws.onerror = (e) => {
        clearTimeout(timer);
        reject(new Error(`DevTools connection to ${url} failed: ${(e as ErrorEvent).message}`));
      };
    });
  }

  /** Sends a command (in `sessionId`'s page when given) and waits up to `timeoutMs`. */
  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
    timeoutMs = 30_000,
  ): Promise<Record<string, unknown>> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`DevTools ${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  /** Adds an event listener; returns its remover. */
  on(listener: (e: CdpEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close() {
    this.#fail(new Error("DevTools connection closed"));
    try {
      this.#ws.close();
    } catch {
      // already closed
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Chromium

/** A headless Chromium being started or running, and what it takes to shut it down. */
interface Browser {
  /** The temporary profile folder. */
  profile: string;
  /** Chromium (its pid leads its own process group); undefined until it is spawned. */
  process?: Deno.ChildProcess;
  /**
   * Resolves when Chromium's stderr is closed: every process holding it (the browser and the
   * helpers it starts: zygotes, renderers, GPU and utility processes) has exited.
   */
  stderrClosed?: Promise<void>;
  /** Stops reading stderr (when a helper outlives every attempt to end it). */
  stopReading?: () => void;
  /** The DevTools connection, once open. */
  cdp?: Cdp;
  /** The last lines of Chromium's stderr, without its usual noise. */
  stderrTail: () => string;
  /** The shutdown under way, if any ({@link shutdown} runs once). */
  closing?: Promise<void>;
}

/** A Chromium that runs, connected. */
type RunningBrowser = Browser & { process: Deno.ChildProcess; cdp: Cdp };

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Whether `p` settles within `ms` milliseconds (its outcome is ignored). */
async function settlesWithin(p: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  if (!p) return true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = await Promise.race([
    p.then(() => true, () => true),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
  ]);
  clearTimeout(timer);
  return done;
}

// Ctrl-C and SIGTERM while a Chromium runs: shut it down and remove its profile, then exit with
// the shell's code for the signal. The listeners exist only while a browser is alive.

/** The Chromiums started by this process and not yet shut down. */
const live = new Set<Browser>();
/** Signals handled while a browser lives, and the exit code (128 + the signal's number). */
const SIGNAL_EXIT_CODES: Partial<Record<Deno.Signal, number>> = {
  SIGINT: 130,
  SIGTERM: 143,
  SIGHUP: 129,
};
let signalListeners: [Deno.Signal, () => void][] = [];
let exitingOnSignal = false;

async function onSignal(code: number): Promise<void> {
  if (exitingOnSignal) Deno.exit(code); // a second signal: no more waiting
  exitingOnSignal = true;
  await Promise.allSettled([...live].map((b) => shutdown(b, { force: true })));
  Deno.exit(code);
}

function track(b: Browser): void {
  live.add(b);
  if (signalListeners.length > 0) return;
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES) as [Deno.Signal, number][]) {
    const listener = () => void onSignal(code);
    try {
      Deno.addSignalListener(signal, listener);
      signalListeners.push([signal, listener]);
    } catch {
      // a signal this platform does not have
    }
  }
}

function untrack(b: Browser): void {
  live.delete(b);
  if (live.size > 0) return;
  for (const [signal, listener] of signalListeners) Deno.removeSignalListener(signal, listener);
  signalListeners = [];
}

/**
 * Whether this process listens for SIGINT/SIGTERM to shut a Chromium down (true exactly while
 * a browser started by {@link checkPages} is alive).
 */
export function browserSignalHandlersInstalled(): boolean {
  return signalListeners.length > 0;
}

/**
 * SIGKILL to Chromium's process group (the browser and every helper it started), or, where
 * `Deno.kill` is not allowed (an `--allow-run` list of executables), to the browser alone:
 * its helpers then exit by themselves within a second or two.
 */
function killChromium(b: Browser): void {
  const pid = b.process?.pid;
  if (pid === undefined) return;
  try {
    Deno.kill(-pid, "SIGKILL");
    return;
  } catch {
    // no unrestricted --allow-run, or the group is gone
  }
  try {
    b.process!.kill("SIGKILL");
  } catch {
    // exited meanwhile
  }
}

/**
 * Shuts Chromium down and removes its profile, once (later calls get the same promise):
 * `Browser.close` (skipped with `force`), then SIGKILL of its process group when it has not
 * exited within 3 s, then waits until every process holding its stderr (the helpers) is gone,
 * killing the group again after 5 s. Never throws.
 */
function shutdown(b: Browser, options: { force?: boolean } = {}): Promise<void> {
  b.closing ??= (async () => {
    try {
      if (b.process) {
        const status = b.process.status;
        if (b.cdp && !options.force) {
          await b.cdp.send("Browser.close", {}, undefined, 2000).catch(() => {});
        }
        b.cdp?.close();
        if (options.force || !(await settlesWithin(status, 3000))) {
          killChromium(b);
          await settlesWithin(status, 3000);
        }
        if (!(await settlesWithin(b.stderrClosed, options.force ? 2000 : 5000))) {
          killChromium(b);
          if (!(await settlesWithin(b.stderrClosed, 3000))) b.stopReading?.();
        }
      }
      for (let i = 0; i < 10; i++) {
        try {
          await Deno.remove(b.profile, { recursive: true });
          break;
        } catch (e) {
          if (e instanceof Deno.errors.NotFound) break;
          await sleep(200); // a process still writing into it
        }
      }
    } finally {
      untrack(b);
    }
  })();
  return b.closing;
}

/**
 * Starts headless Chromium with a fresh profile (in `tempDir`, default the system's temporary
 * folder) as the leader of its own process group, and connects to it. From the profile's
 * creation on, SIGINT/SIGTERM shut it down ({@link track}).
 */
async function launch(
  chromium: string,
  timeoutMs: number,
  tempDir?: string,
): Promise<RunningBrowser> {
  const profile = await Deno.makeTempDir({
    prefix: "eyegan-chromium-",
    ...(tempDir ? { dir: tempDir } : {}),
  });
  const lines: string[] = [];
  const b: Browser = {
    profile,
    // Chromium's usual noise in containers (no D-Bus, fonts) and the wrapper's shell warning.
    stderrTail: () =>
      lines.filter((l) =>
        l.trim() !== "" && !/dbus|Fontconfig|unexpected operator|DevTools listening/i.test(l)
      ).slice(-12).join("\n"),
  };
  track(b);
  try {
    const args = [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-default-apps",
      "--disable-extensions",
      "--disable-sync",
      "--no-first-run",
      "--no-default-browser-check",
      "--mute-audio",
      "--hide-scrollbars",
      "--allow-file-access-from-files",
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "about:blank",
    ];
    let process: Deno.ChildProcess;
    try {
      process = new Deno.Command(chromium, {
        args,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
        // its own process group (and session): one signal reaches every helper it starts
        detached: true,
      }).spawn();
    } catch (e) {
      throw new Error(`cannot start ${chromium}: ${(e as Error).message}`);
    }
    b.process = process;
    // Drain stderr all along (Chromium logs a lot; a full pipe would block it), keep the tail.
    let wsFromStderr: string | undefined;
    const reader = process.stderr.pipeThrough(new TextDecoderStream()).getReader();
    b.stopReading = () => void reader.cancel().catch(() => {});
    b.stderrClosed = (async () => {
      let buffer = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          const parts = buffer.split("\n");
          buffer = parts.pop()!;
          for (const line of parts) {
            const m = /DevTools listening on (ws:\/\/\S+)/.exec(line);
            if (m) wsFromStderr = m[1];
            lines.push(line);
            if (lines.length > 40) lines.shift();
          }
        }
      } catch {
        // cancelled
      }
    })();
    let exited: Deno.CommandStatus | undefined;
    process.status.then((s) => (exited = s));

    const started = performance.now();
    let wsUrl: string | undefined;
    while (!wsUrl) {
      wsUrl = wsFromStderr;
      if (!wsUrl) {
        try {
          const [port, path] = (await Deno.readTextFile(`${profile}/DevToolsActivePort`))
            .split("\n");
          if (/^\d+$/.test(port.trim()) && path?.startsWith("/")) {
            wsUrl = `ws://127.0.0.1:${port.trim()}${path.trim()}`;
          }
        } catch {
          // not written yet
        }
      }
      if (wsUrl) break;
      if (exited) {
        await settlesWithin(b.stderrClosed, 2000);
        throw new Error(
          `${chromium} exited with code ${exited.code} before DevTools was ready:\n` +
            b.stderrTail(),
        );
      }
      if (performance.now() - started > timeoutMs) {
        throw new Error(
          `${chromium}: DevTools not ready within ${timeoutMs} ms:\n${b.stderrTail()}`,
        );
      }
      await sleep(50);
    }
    const cdp = await Cdp.open(wsUrl, Math.max(1000, timeoutMs - (performance.now() - started)));
    b.cdp = cdp;
    return Object.assign(b, { process, cdp });
  } catch (e) {
    await shutdown(b, { force: true });
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// One page

/** Evaluated in the page: its URL, the plot containers, the images, the title. */
const PAGE_STATE = `(() => {
  const containers = Array.from(new Set(document.querySelectorAll(".eyegan-plot, .js-plotly-plot")));
  const plots = containers.map((el, i) => {
    const rendered = !!el.querySelector(".main-svg");
    return rendered ? { id: el.id || "#" + i, rendered }
      : { id: el.id || "#" + i, rendered, text: (el.textContent || "").trim().slice(0, 160) };
  });
  const images = Array.from(document.images).map((img) => {
    const src = img.currentSrc || img.src || "";
    return {
      src: src.startsWith("data:") ? src.slice(0, 30) + "... (" + src.length + " chars)" : src,
      alt: img.alt || "",
      complete: img.complete,
      width: img.naturalWidth,
      height: img.naturalHeight,
    };
  });
  return { href: location.href, ready: document.readyState, title: document.title, plots,
    images, plotly: typeof window.Plotly === "object" && window.Plotly !== null };
})()`;

interface PageState {
  /** The document's `location.href` (to tell the navigated document from `about:blank`). */
  href: string;
  ready: string;
  title: string;
  /** Whether `window.Plotly` is defined. */
  plotly: boolean;
  plots: PlotState[];
  images: (ImageState & { complete: boolean })[];
}

function describeRemote(arg: Record<string, unknown>): string {
  if (arg.value !== undefined) {
    return typeof arg.value === "string" ? arg.value : JSON.stringify(arg.value);
  }
  if (typeof arg.description === "string") return arg.description;
  return String(arg.type ?? "?");
}

function shortUrl(url: string): string {
  return url.startsWith("data:") ? `${url.slice(0, 30)}...` : url;
}

/** A safe screenshot file name from a page's path, unique within `used`. */
function screenshotName(file: string, used: Set<string>): string {
  const base = (file.split("/").filter(Boolean).slice(-2).join("_") || "page")
    .replace(/\.(html?|ipynb)$/i, "").replace(/[^A-Za-z0-9._-]+/g, "_");
  let name = `${base}.png`;
  for (let i = 2; used.has(name); i++) name = `${base}-${i}.png`;
  used.add(name);
  return name;
}

async function checkPage(
  browser: RunningBrowser,
  file: string,
  options: BrowserCheckOptions,
  shotPath: string | undefined,
): Promise<PageCheckResult> {
  const { cdp } = browser;
  const url = fileUrl(file);
  const started = performance.now();
  const problems: string[] = [];
  const ignored: string[] = [];
  const warnings: string[] = [];
  let ignore = options.ignoreUrls ?? [];
  const isIgnored = (u: string | undefined) => !!u && ignore.some((re) => re.test(u));
  const result = (extra: Partial<PageCheckResult>): PageCheckResult => ({
    file,
    url,
    ok: false,
    problems,
    ignored,
    warnings,
    title: "",
    expectedPlots: 0,
    plots: [],
    images: [],
    seconds: (performance.now() - started) / 1000,
    ...extra,
  });

  let html: string;
  try {
    html = await Deno.readTextFile(file);
  } catch (e) {
    problems.push(`cannot read ${file}: ${(e as Error).message}`);
    return result({});
  }
  const expectedPlots = options.expectPlots ?? countPlotMarkers(html);
  if (isNotebookHtml(html)) ignore = [...ignore, ...NOTEBOOK_IGNORE];

  const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" }) as {
    targetId: string;
  };
  const { sessionId } = await cdp.send("Target.attachToTarget", { targetId, flatten: true }) as {
    sessionId: string;
  };
  const send = (method: string, params: Record<string, unknown> = {}, timeout?: number) =>
    cdp.send(method, params, sessionId, timeout);

  const requests = new Map<string, string>();
  let loaded: () => void = () => {};
  const loadPromise = new Promise<void>((r) => (loaded = r));
  let crashed = false;
  // The navigated document: Page.navigate's loaderId (null until it answers; undefined when it
  // gives none), the main frame's commits (Page.frameNavigated) and the documents that fired
  // their load event. Only the navigated document's load counts, and its URL is the one the
  // page's state must come from.
  let navLoader: string | undefined | null = null;
  let currentLoader: string | undefined;
  const committed = new Map<string, string>();
  const loadedDocs = new Set<string | undefined>();
  const checkLoaded = () => {
    if (navLoader === null) return;
    if (navLoader === undefined ? loadedDocs.size > 0 : loadedDocs.has(navLoader)) loaded();
  };
  const off = cdp.on((e) => {
    if (e.sessionId !== sessionId) return;
    const p = e.params;
    switch (e.method) {
      case "Page.frameNavigated": {
        const frame = isRecord(p.frame) ? p.frame : {};
        if (frame.parentId === undefined && typeof frame.loaderId === "string") {
          currentLoader = frame.loaderId;
          committed.set(frame.loaderId, String(frame.url ?? ""));
        }
        break;
      }
      case "Page.loadEventFired":
        loadedDocs.add(currentLoader);
        checkLoaded();
        break;
      case "Runtime.exceptionThrown": {
        const d = (p.exceptionDetails ?? {}) as Record<string, unknown>;
        const ex = (d.exception ?? {}) as Record<string, unknown>;
        const where = typeof d.url === "string" && d.url
          ? ` (${shortUrl(d.url)}:${Number(d.lineNumber ?? 0) + 1})`
          : "";
        problems.push(
          `JavaScript exception: ${
            typeof ex.description === "string" ? ex.description.split("\n")[0] : d.text
          }${where}`,
        );
        break;
      }
      case "Runtime.consoleAPICalled": {
        const text = ((p.args ?? []) as Record<string, unknown>[]).map(describeRemote).join(" ");
        if (p.type === "error" || p.type === "assert") {
          problems.push(`console.${p.type}: ${text.slice(0, 500)}`);
        } else if (p.type === "warning") warnings.push(`console.warn: ${text.slice(0, 300)}`);
        break;
      }
      case "Log.entryAdded": {
        const entry = (p.entry ?? {}) as Record<string, unknown>;
        const u = typeof entry.url === "string" ? entry.url : undefined;
        const text = `browser log (${entry.source}): ${entry.text}${u ? ` ${shortUrl(u)}` : ""}`;
        if (entry.level === "error") {
          (isIgnored(u) ? ignored : problems).push(text);
        } else if (entry.level === "warning") warnings.push(text);
        break;
      }
      case "Network.requestWillBeSent": {
        const req = (p.request ?? {}) as Record<string, unknown>;
        const u = String(req.url ?? "");
        requests.set(String(p.requestId), u);
        if (/^(https?|wss?|ftp):/i.test(u)) {
          (isIgnored(u) ? ignored : problems).push(`external request (blocked): ${u}`);
        }
        break;
      }
      case "Network.loadingFailed": {
        const u = requests.get(String(p.requestId)) ?? "?";
        if (p.blockedReason === "inspector" || p.canceled) break; // reported above
        const text = `failed to load ${shortUrl(u)}: ${p.errorText}`;
        // Failed file:// loads also come as a Log entry; keep this one only for the others.
        if (!/^file:/i.test(u)) (isIgnored(u) ? ignored : problems).push(text);
        break;
      }
      case "Inspector.targetCrashed":
        crashed = true;
        problems.push("the page crashed (Inspector.targetCrashed)");
        loaded();
        break;
    }
  });

  const viewport = options.viewport ?? { width: 1280, height: 900 };
  try {
    await send("Page.enable");
    await send("Runtime.enable");
    await send("Log.enable");
    await send("Network.enable");
    await send("Inspector.enable").catch(() => {});
    await send("Network.setBlockedURLs", {
      urls: ["http://*", "https://*", "ws://*", "wss://*", "ftp://*"],
    });
    await send("Emulation.setDeviceMetricsOverride", {
      width: viewport.width,
      height: viewport.height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    const loadTimeout = options.loadTimeoutMs ?? 60_000;
    const nav = await send("Page.navigate", { url }, loadTimeout);
    if (typeof nav.errorText === "string" && nav.errorText) {
      problems.push(`navigation to ${url} failed: ${nav.errorText}`);
      return result({ expectedPlots });
    }
    navLoader = typeof nav.loaderId === "string" ? nav.loaderId : undefined;
    checkLoaded();
    /** The URL of the navigated document (as Chromium committed it), fragment aside. */
    const target = () => (navLoader ? committed.get(navLoader) : undefined) ?? url;
    const ofTarget = (s: PageState) => s.href.split("#")[0] === target().split("#")[0];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      loadPromise.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), loadTimeout))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      problems.push(`the page did not finish loading within ${loadTimeout} ms`);
    }
    if (crashed) return result({ expectedPlots });

    // Wait until every plot is drawn and every image decided, or the render timeout.
    const renderTimeout = options.renderTimeoutMs ?? 20_000;
    const until = performance.now() + renderTimeout;
    let state: PageState | undefined;
    for (;;) {
      const r = await send("Runtime.evaluate", {
        expression: PAGE_STATE,
        returnByValue: true,
      }, Math.max(2000, until - performance.now())) as { result?: { value?: PageState } };
      state = r.result?.value;
      const settled = !!state && ofTarget(state) && state.ready === "complete" &&
        state.plots.every((p) => p.rendered) && state.plots.length >= expectedPlots &&
        state.images.every((i) => i.complete);
      if (settled || performance.now() > until) break;
      await sleep(200);
    }
    if (!state) {
      problems.push("could not read the page's state");
      return result({ expectedPlots });
    }
    if (!ofTarget(state)) {
      problems.push(
        `the page's state came from ${shortUrl(state.href)}, not from ${target()} (the ` +
          `navigation did not commit, or the page went elsewhere)`,
      );
      return result({ expectedPlots, title: state.title });
    }
    const notRendered = state.plots.filter((p) => !p.rendered);
    const noLib = state.plotly ? "" : "; plotly.js is not loaded on the page";
    for (const p of notRendered) {
      problems.push(
        `plot ${p.id} did not render (no .main-svg${noLib})${p.text ? `: "${p.text}"` : ""}`,
      );
    }
    if (state.plots.length < expectedPlots) {
      problems.push(
        `${state.plots.length} plot containers on the page, ${expectedPlots} expected`,
      );
    }
    const images = state.images.map(({ complete: _c, ...i }) => i);
    for (const i of images) {
      if (!(i.width > 0)) {
        problems.push(`image did not load: ${i.src}${i.alt ? ` (${i.alt})` : ""}`);
      }
    }

    let screenshot: string | undefined;
    if (shotPath) {
      try {
        const metrics = await send("Page.getLayoutMetrics") as {
          cssContentSize?: { width: number; height: number };
        };
        const maxHeight = options.maxHeight ?? 12_000;
        const full = metrics.cssContentSize?.height ?? viewport.height;
        const height = maxHeight > 0 ? Math.min(Math.ceil(full), maxHeight) : viewport.height;
        const shot = await send("Page.captureScreenshot", {
          format: "png",
          captureBeyondViewport: height > viewport.height,
          clip: { x: 0, y: 0, width: viewport.width, height, scale: 1 },
        }, 60_000) as { data: string };
        const bytes = Uint8Array.from(atob(shot.data), (c) => c.charCodeAt(0));
        await Deno.writeFile(shotPath, bytes);
        screenshot = shotPath;
        if (full > height) warnings.push(`screenshot cut at ${height} of ${Math.ceil(full)} px`);
      } catch (e) {
        problems.push(`screenshot failed: ${(e as Error).message}`);
      }
    }
    return result({
      ok: problems.length === 0,
      title: state.title,
      expectedPlots,
      plots: state.plots,
      images,
      screenshot,
    });
  } catch (e) {
    // A hung or crashed page: keep what was found so far, and say where it stopped.
    problems.push(`check aborted: ${(e as Error).message}`);
    return result({ expectedPlots });
  } finally {
    off();
    await cdp.send("Target.closeTarget", { targetId }, undefined, 5000).catch(() => {});
  }
}

/**
 * Opens each HTML file in one headless Chromium and checks it (see the module documentation).
 * A page that fails does not stop the others; a Chromium that cannot start is an error.
 *
 * @param files HTML files (paths; relative ones from the working directory).
 * @returns one result per file, in order.
 * @throws Error when no Chromium is found or it cannot start.
 */
export async function checkPages(
  files: readonly string[],
  options: BrowserCheckOptions = {},
): Promise<PageCheckResult[]> {
  const chromium = options.chromium ?? await findChromium();
  if (!chromium) throw new Error(CHROMIUM_HINT);
  const outDir = options.outDir === undefined ? BROWSER_CHECK_DIR : options.outDir;
  if (outDir) await Deno.mkdir(outDir, { recursive: true });
  const browser = await launch(chromium, options.launchTimeoutMs ?? 30_000, options.tempDir);
  const results: PageCheckResult[] = [];
  const used = new Set<string>();
  try {
    await options.onLaunch?.({ pid: browser.process.pid, profile: browser.profile });
    for (const file of files) {
      const shot = outDir ? `${outDir}/${screenshotName(file, used)}` : undefined;
      let r: PageCheckResult;
      try {
        r = await checkPage(browser, file, options, shot);
      } catch (e) {
        r = failedPageResult(file, fileUrl(file), `check failed: ${(e as Error).message}`);
        const tail = browser.stderrTail();
        if (tail) r.problems.push(`Chromium stderr:\n${tail}`);
      }
      results.push(r);
      options.onResult?.(r);
    }
  } finally {
    await shutdown(browser);
  }
  return results;
}

/** The result of a page that could not be checked: not ok, with `problem`, nothing measured. */
export function failedPageResult(file: string, url: string, problem: string): PageCheckResult {
  return {
    file,
    url,
    ok: false,
    problems: [problem],
    ignored: [],
    warnings: [],
    title: "",
    expectedPlots: 0,
    plots: [],
    images: [],
    seconds: 0,
  };
}

/** One line for a page, then its problems indented. */
export function formatPageResult(r: PageCheckResult): string {
  const plots = `${r.plots.filter((p) => p.rendered).length}/${r.expectedPlots} plots`;
  const images = `${r.images.filter((i) => i.width > 0).length}/${r.images.length} images`;
  const head = `${r.ok ? "PASS" : "FAIL"} ${r.file} (${plots}, ${images}, ${
    r.seconds.toFixed(1)
  } s)${r.screenshot ? ` -> ${r.screenshot}` : ""}`;
  return [
    head,
    ...r.problems.map((p) => `    ${p}`),
    ...(r.ignored.length > 0 ? [`    ignored: ${r.ignored.length} (${r.ignored[0]}...)`] : []),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Notebooks

/**
 * Whether an HTML file is nbconvert's export of a notebook (its lab template's
 * `<body class="jp-Notebook" ...>`, or the classic template's `<div id="notebook"`).
 */
export function isNotebookHtml(html: string): boolean {
  return /<body[^>]*class="[^"]*jp-Notebook|<div[^>]+id="notebook"/.test(html);
}

/**
 * Exports executed notebooks to HTML (`exportNotebookHtml` of `lib/notebook/export.ts`, into
 * `outDir`, each under a name of its own: `uniqueExportNames`) and checks the HTML with the
 * notebook template's script loads ignored ({@link NOTEBOOK_IGNORE}).
 */
export async function checkNotebooks(
  notebooks: readonly string[],
  options: BrowserCheckOptions & Pick<NotebookExportOptions, "jupyter"> = {},
): Promise<PageCheckResult[]> {
  const outDir = options.outDir === undefined ? BROWSER_CHECK_DIR : options.outDir;
  const htmlDir = outDir ?? (await Deno.makeTempDir({ prefix: "eyegan-nb-html-" }));
  try {
    const html: string[] = [];
    const names = uniqueExportNames(notebooks);
    for (const [i, nb] of notebooks.entries()) {
      html.push(
        await exportNotebookHtml(nb, {
          outDir: htmlDir,
          name: names[i],
          jupyter: options.jupyter ?? JUPYTER,
        }),
      );
    }
    return await checkPages(html, {
      ...options,
      ignoreUrls: [...NOTEBOOK_IGNORE, ...(options.ignoreUrls ?? [])],
    });
  } finally {
    if (!outDir) await Deno.remove(htmlDir, { recursive: true }).catch(() => {});
  }
}

/** Exports one executed notebook and checks it; see {@link checkNotebooks}. */
export async function checkNotebook(
  notebook: string,
  options: BrowserCheckOptions & Pick<NotebookExportOptions, "jupyter"> = {},
): Promise<PageCheckResult> {
  return (await checkNotebooks([notebook], options))[0];
}
