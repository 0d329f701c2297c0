/**
 * Decoding and encoding of image files (PNG, JPEG) into plain pixel arrays.
 *
 * Pixels are `uint8`, row-major, channels last (`H x W x C`, C = 1 gray, 3 RGB). All other
 * image modules work on {@link PixelImage}, so that nothing else depends on the codec.
 *
 * @module
 */
import { decode as decodeAny, Image, type JPEGQuality } from "imagescript";

/** An 8-bit image in memory: `data[(y * width + x) * channels + c]`. */
export interface PixelImage {
  width: number;
  height: number;
  /** 1 (gray) or 3 (RGB). */
  channels: 1 | 3;
  data: Uint8Array;
}

/** Thrown when a file is not a readable image; `message` names the file and the cause. */
export class ImageDecodeError extends Error {
  constructor(public readonly file: string, cause: string) {
    super(`${file}: not a readable image (${cause})`);
    this.name = "ImageDecodeError";
  }
}

/**
 * Decodes PNG or JPEG bytes.
 *
 * @param bytes the file's contents.
 * @param options `name` for error messages; `channels` to convert to gray (ITU-R BT.601 luma)
 *   or RGB; by default gray images stay gray and colour ones become RGB.
 * @throws {ImageDecodeError} for truncated, corrupt or unsupported files.
 */
export async function decodeImage(
  bytes: Uint8Array,
  options: { name?: string; channels?: 1 | 3 } = {},
): Promise<PixelImage> {
  const name = options.name ?? "<bytes>";
  if (bytes.length < 8) throw new ImageDecodeError(name, `only ${bytes.length} bytes`);
  let decoded: unknown;
  try {
    decoded = await decodeAny(bytes);
  } catch (e) {
    throw new ImageDecodeError(name, e instanceof Error ? e.message : String(e));
  }
  if (!(decoded instanceof Image)) {
    throw new ImageDecodeError(name, "animated images are not supported");
  }
  const { width, height, bitmap } = decoded;
  if (width === 0 || height === 0 || bitmap.length !== width * height * 4) {
    throw new ImageDecodeError(name, "decoder returned an empty or inconsistent bitmap");
  }
  let gray = true;
  for (let i = 0; i < bitmap.length && gray; i += 4) {
    gray = bitmap[i] === bitmap[i + 1] && bitmap[i] === bitmap[i + 2];
  }
  const channels = options.channels ?? (gray ? 1 : 3);
  const data = new Uint8Array(width * height * channels);
  for (let p = 0, q = 0; p < width * height; p++, q += 4) {
    if (channels === 3) {
      data[p * 3] = bitmap[q];
      data[p * 3 + 1] = bitmap[q + 1];
      data[p * 3 + 2] = bitmap[q + 2];
    } else {
      data[p] = Math.round(0.299 * bitmap[q] + 0.587 * bitmap[q + 1] + 0.114 * bitmap[q + 2]);
    }
  }
  return { width, height, channels, data };
}

/** Reads and decodes an image file; errors name the path. */
export async function readImage(
  path: string,
  options: { channels?: 1 | 3 } = {},
): Promise<PixelImage> {
  return decodeImage(await Deno.readFile(path), { ...options, name: path });
}

/** Encodes an image as PNG bytes. */
export async function encodePng(image: PixelImage): Promise<Uint8Array> {
  const { width, height, channels, data } = image;
  if (data.length !== width * height * channels) {
    throw new Error(
      `encodePng: data has ${data.length} values, expected ${width}x${height}x${channels}`,
    );
  }
  const out = new Image(width, height);
  const bitmap = out.bitmap;
  for (let p = 0; p < width * height; p++) {
    const q = p * 4;
    if (channels === 1) {
      bitmap[q] = bitmap[q + 1] = bitmap[q + 2] = data[p];
    } else {
      bitmap[q] = data[p * 3];
      bitmap[q + 1] = data[p * 3 + 1];
      bitmap[q + 2] = data[p * 3 + 2];
    }
    bitmap[q + 3] = 255;
  }
  // A fixed creation time and software tag: the same pixels always give the same bytes.
  return await out.encode(1, { creationTime: 0, software: "eyegan" });
}

/** Encodes an image as JPEG bytes (quality 1..100). */
export async function encodeJpeg(image: PixelImage, quality = 90): Promise<Uint8Array> {
  const rgb = image.channels === 3 ? image : toRgb(image);
  const out = new Image(rgb.width, rgb.height);
  for (let p = 0; p < rgb.width * rgb.height; p++) {
    out.bitmap.set([rgb.data[p * 3], rgb.data[p * 3 + 1], rgb.data[p * 3 + 2], 255], p * 4);
  }
  const q = Math.max(1, Math.min(100, Math.round(quality))) as JPEGQuality;
  return await out.encodeJPEG(q);
}

function toRgb(image: PixelImage): PixelImage {
  const data = new Uint8Array(image.width * image.height * 3);
  for (let p = 0; p < image.width * image.height; p++) {
    data[p * 3] = data[p * 3 + 1] = data[p * 3 + 2] = image.data[p];
  }
  return { ...image, channels: 3, data };
}
