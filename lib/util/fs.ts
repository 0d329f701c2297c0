/**
 * File helpers shared by every module that writes results: atomic writes (a file is either the
 * old one or the complete new one, never a truncated mix), JSON reading with errors that name
 * the file, an existence check, and the type guard {@link isRecord} for parsed JSON.
 *
 * An atomic write goes to a temporary file with a unique name in the same folder
 * (`<path>.tmp-<pid>-<random>`, so concurrent writers never share one), is flushed to disk, and
 * is then renamed over `path`. On any failure the temporary file is removed and `path` is left
 * as it was.
 *
 * @example
 * ```ts ignore
 * import { readJson, writeJsonAtomic } from "./fs.ts";
 * await writeJsonAtomic("runs/x/result.json", { ok: true });
 * const back = await readJson<{ ok: boolean }>("runs/x/result.json");
 * ```
 *
 * @module
 */

/** Whether something (file, folder, link) exists at `path`; other errors are thrown. */
export async function exists(path: string | URL): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Whether `v` is a JSON object (a plain record: not `null`, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A temporary name next to `path` that no other writer uses. */
function tempName(path: string): string {
  return `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Writes `bytes` to `path` atomically: a uniquely named temporary file in the same folder,
 * flushed to disk, then renamed over `path`. On any failure the temporary file is removed and
 * `path` is left as it was.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = tempName(path);
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      let done = 0;
      while (done < bytes.length) done += await file.write(bytes.subarray(done));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Writes a text file atomically (UTF-8), see {@link writeFileAtomic}. */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(text));
}

/** Writes a JSON file atomically, pretty-printed (two spaces) with a final newline. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeTextAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Reads a JSON file.
 *
 * @throws Error `PATH: not found` for a missing file, `PATH: not valid JSON (...)` for bad
 *   text; other read errors as they are.
 */
export async function readJson<T = unknown>(path: string): Promise<T> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${path}: not found`);
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * `path` with links, `.` and `..` resolved (`Deno.realPath`), to tell whether two names point at
 * one file or folder; a path that cannot be resolved (missing, no permission) is returned as
 * given, less trailing slashes.
 */
export async function canonicalPath(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    return path.length > 1 ? path.replace(/\/+$/, "") : path;
  }
}
