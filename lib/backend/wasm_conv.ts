/**
 * Convolution gradients for the `wasm` backend, built on its fast XNNPACK `Conv2D` kernel.
 *
 * Notation (NHWC): forward `y = conv2d(x, w)` with `x: [B, H, W, Ci]`, `w: [KH, KW, Ci, Co]`,
 * `y/dy: [B, Ho, Wo, Co]`, strides `(sh, sw)`, dilation 1, and padding `pt, pb, pl, pr` (top,
 * bottom, left, right, as `computeConv2DInfo` resolves same/valid/explicit):
 *
 *     y[b, oh, ow, co] = Σ_{kh, kw, ci} x[b, oh·sh − pt + kh, ow·sw − pl + kw, ci] · w[kh, kw, ci, co]
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  asWasm,
  disposeInfo,
  f32,
  type KernelArgs,
  relabel,
  reshapeInfo,
  runWasm,
  type WasmBackend,
} from "./wasm_util.ts";

type Pads = [[number, number], [number, number], [number, number], [number, number]];

function convInfoOf(
  xShape: number[],
  filterShape: number[],
  attrs: tf.NamedAttrMap,
): tf.backend_util.Conv2DInfo {
  const dataFormat = tf.backend_util.convertConv2DDataFormat(
    (attrs.dataFormat as "NHWC" | "NCHW" | undefined) ?? "NHWC",
  );
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as "same" | "valid" | number | tf.backend_util.ExplicitPadding,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    false,
    dataFormat,
  );
}

function conv(
  backend: WasmBackend,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  pads: Pads,
  dilations: [number, number] = [1, 1],
): tf.TensorInfo {
  return runWasm("Conv2D", { x, filter }, {
    strides: [1, 1],
    pad: pads,
    dilations,
    dataFormat: "NHWC",
  }, backend);
}

function slice4(
  backend: WasmBackend,
  x: tf.TensorInfo,
  begin: number[],
  size: number[],
): tf.TensorInfo {
  return runWasm("Slice", { x }, { begin, size }, backend);
}

/**
 * `Conv2DBackpropFilter` (NHWC, dilation 1): the gradient of a conv2d w.r.t. its filter, as one
 * XNNPACK convolution.
 *
 *     dw[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·sh − pt + kh, ow·sw − pl + kw, ci] · dy[b, oh, ow, co]
 *
 * Read `ci` as a batch index, `(kh, kw)` as output pixels, `b` as the input channel and
 * `(oh, ow)` as filter taps: with `X' = x` transposed to `[Ci, H, W, B]` and `F = dy` transposed
 * to `[Ho, Wo, B, Co]`, `dw` transposed to `[Ci, KH, KW, Co]` is a stride-1 conv of `X'` with
 * `F` at dilation `(sh, sw)`, padding top `pt` and left `pl`. Its output height is
 * `H + pt + pb' − (Ho − 1)·sh`, so bottom padding `pb' = KH + (Ho − 1)·sh − H − pt` makes it
 * exactly `KH`. `pb' < 0` means the forward conv never read the last `−pb'` rows of `x`: they are
 * sliced off first (same for the width). A final transpose gives `[KH, KW, Ci, Co]`.
 *
 * Cost: the GEMM `M = Ci·KH·KW, K = B·Ho·Wo, N = Co` that any method needs, plus transposes of
 * `x` and `dy` (cheap next to it).
 */
export function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs ?? {};
  const filterShape = attrs.filterShape as number[];
  const info = convInfoOf(x.shape, filterShape, attrs);
  if (info.dataFormat !== "channelsLast") {
    throw new Error("wasm Conv2DBackpropFilter supports NHWC (channelsLast) only");
  }
  const { batchSize: B, inChannels: Ci, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: KH, filterWidth: KW, outHeight: Ho, outWidth: Wo } = info;
  let { inHeight: H, inWidth: W } = info;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  let pb = KH + (Ho - 1) * sh - H - pt;
  let pr = KW + (Wo - 1) * sw - W - pl;
  let xs = x;
  if (pb < 0 || pr < 0) {
    H += Math.min(0, pb);
    W += Math.min(0, pr);
    xs = slice4(backend, x, [0, 0, 0, 0], [B, H, W, Ci]);
    pb = Math.max(0, pb);
    pr = Math.max(0, pr);
  }
  const xT = runWasm("Transpose", { x: xs }, { perm: [3, 1, 2, 0] }, backend); // [Ci,H,W,B]
  if (xs !== x) disposeInfo(backend, xs);
  const dyT = runWasm("Transpose", { x: dy }, { perm: [1, 2, 0, 3] }, backend); // [Ho,Wo,B,Co]
  const out = conv(backend, xT, dyT, [[0, 0], [pt, pb], [pl, pr], [0, 0]], [sh, sw]);
  disposeInfo(backend, xT, dyT);
  const dw = runWasm("Transpose", { x: out }, { perm: [1, 2, 0, 3] }, backend);
  disposeInfo(backend, out);
  return dw;
}

/**
 * `Conv2DBackpropInput` (NHWC, dilation 1, equal strides): the gradient of a conv2d w.r.t. its
 * input, and the forward of `conv2dTranspose`, as ONE stride-1 XNNPACK convolution followed by a
 * depth-to-space (sub-pixel / phase decomposition), for any stride `s`:
 *
 *     dx[b, h, w, ci] = Σ_{oh, kh : oh·s − pt + kh = h} … dy[b, oh, ow, co] · w[kh, kw, ci, co]
 *
 * Write `h + pt = q·s + r` with `0 ≤ r < s`. Then `kh = (q − oh)·s + r`, i.e. `kh = j·s + r` and
 * `oh = q − j`: for each phase `r` the rows `q` of `dx` are a stride-1 correlation of `dy` with
 * the sub-kernel `w[j·s + r]`, `j = 0 … J−1`, `J = ⌈KH / s⌉` (taps past `KH` are zero):
 *
 *     z_r[q] = Σ_j dy[q − j] · w[j·s + r] = Σ_a dy[q − (J−1) + a] · w[(J−1−a)·s + r]
 *
 * so all phases are one conv of `dy` (pad top `J − 1 − q0`, the output row `t` being
 * `q = t + q0`) with the filter
 *
 *     G[a, c, co, (r·s + u)·Ci + ci] = w[(J−1−a)·s + r, (J−1−c)·s + u, ci, co]   (0 past the end)
 *
 * whose `s²·Ci` output channels a depth-to-space (a transpose) turns into rows `t·s + r` and columns
 * `p·s + u`, i.e. `h = t·s + r − (pt − q0·s)`: a slice at offset `pt − q0·s` gives `dx`. We take
 * `q0 = ⌊pt / s⌋` (the first phase row that is needed). For `s = 1` this is the usual
 * "conv of dy with the flipped, in/out-swapped filter at pad `KH − 1 − pt`", with no
 * depth-to-space and no slice. The work is the exact transposed-conv GEMM (no zero insertion);
 * when `s` does not divide `KH`, `J·s > KH` adds zero taps (3×3, s=2: 16 taps for 9).
 *
 * Returns `undefined` for cases it does not handle (NCHW, unequal strides, negative pads), so
 * the caller can use the backend's original kernel.
 */
export function conv2DBackpropInputFast(args: KernelArgs): tf.TensorInfo | undefined {
  const backend = asWasm(args.backend);
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs ?? {};
  const inputShape = attrs.inputShape as number[];
  const info = convInfoOf(inputShape, filter.shape, attrs);
  if (info.dataFormat !== "channelsLast") return undefined;
  const { strideHeight: s, strideWidth: sw2 } = info;
  if (s !== sw2 || dy.dtype !== "float32" || filter.dtype !== "float32") return undefined;
  const { batchSize: B, inChannels: Ci, outChannels: Co, inHeight: H, inWidth: W } = info;
  const { filterHeight: KH, filterWidth: KW, outHeight: Ho, outWidth: Wo } = info;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  if (pt < 0 || pl < 0) return undefined;
  const JH = Math.ceil(KH / s), JW = Math.ceil(KW / s);
  const q0h = Math.min(Math.floor(pt / s), JH - 1), q0w = Math.min(Math.floor(pl / s), JW - 1);
  const offH = pt - q0h * s, offW = pl - q0w * s;
  const TH = Math.ceil((offH + H) / s), TW = Math.ceil((offW + W) / s);
  let padB = TH - Ho + q0h, padR = TW - Wo + q0w;
  let dys = dy;
  if (padB < 0 || padR < 0) {
    // dy rows past `TH + q0h` only reach dx rows ≥ H (padding): drop them
    dys = slice4(backend, dy, [0, 0, 0, 0], [
      B,
      Ho + Math.min(0, padB),
      Wo + Math.min(0, padR),
      Co,
    ]);
    padB = Math.max(0, padB);
    padR = Math.max(0, padR);
  }
  const outC = s * s * Ci;
  const g = backend.makeOutput([JH, JW, Co, outC], "float32");
  const G = f32(backend, g);
  const w = f32(backend, filter);
  G.fill(0);
  // w index: ((kh·KW + kw)·Ci + ci)·Co + co
  for (let a = 0; a < JH; a++) {
    for (let r = 0; r < s; r++) {
      const kh = (JH - 1 - a) * s + r;
      if (kh >= KH) continue;
      for (let c = 0; c < JW; c++) {
        for (let u = 0; u < s; u++) {
          const kw = (JW - 1 - c) * s + u;
          if (kw >= KW) continue;
          const wBase = (kh * KW + kw) * Ci * Co;
          const gBase = (a * JW + c) * Co * outC + (r * s + u) * Ci;
          for (let ci = 0; ci < Ci; ci++) {
            const wRow = wBase + ci * Co;
            const gCol = gBase + ci;
            for (let co = 0; co < Co; co++) G[gCol + co * outC] = w[wRow + co];
          }
        }
      }
    }
  }
  const z = conv(backend, dys, g, [[0, 0], [JH - 1 - q0h, padB], [JW - 1 - q0w, padR], [0, 0]]);
  disposeInfo(backend, g);
  if (dys !== dy) disposeInfo(backend, dys);
  let full = z;
  if (s > 1) {
    // depth to space: z [B, TH, TW, (r, u, ci)] seen as [B·TH, TW, r, (u, ci)] -> transpose
    // [0, 2, 1, 3] -> [B·TH, r, TW, (u, ci)], which is [B, TH·s, TW·s, Ci]. (The backend's
    // DepthToSpace kernel is a generic strided loop, ~30x slower than its Transpose.)
    const zv = reshapeInfo(z, [B * TH, TW, s, s * Ci]);
    const t = runWasm("Transpose", { x: zv }, { perm: [0, 2, 1, 3] }, backend);
    full = relabel(backend, t, [B, TH * s, TW * s, Ci]);
    disposeInfo(backend, z);
  }
  if (offH === 0 && offW === 0 && full.shape[1] === H && full.shape[2] === W) return full;
  const dx = slice4(backend, full, [0, offH, offW, 0], [B, H, W, Ci]);
  disposeInfo(backend, full);
  return dx;
}

/**
 * `Conv2DBackpropFilter` as im2col + one XNNPACK matmul, for stride 1 or 2 and NHWC:
 *
 *     dw[(kh, kw, ci), co] = Σ_n col[(kh, kw, ci), n] · dy[n, co],   n = (b, oh, ow)
 *     col[(kh, kw, ci), (b, oh, ow)] = x[b, oh·sh − pt + kh, ow·sw − pl + kw, ci]  (0 outside)
 *
 * `col` is built from `x` transposed to `[Ci, B, H, W]`, one row per `(kh, kw, ci)`, by copying
 * runs of `Wo` (stride 1: contiguous) values; the product lands directly in `[KH, KW, Ci, Co]`.
 * It needs `KH·KW·Ci·B·Ho·Wo` floats of scratch, so it is only used for small inputs.
 */
export function conv2DBackpropFilterIm2col(args: KernelArgs): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs ?? {};
  const info = convInfoOf(x.shape, attrs.filterShape as number[], attrs);
  const { batchSize: B, inChannels: Ci, outChannels: Co, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: KH, filterWidth: KW, outHeight: Ho, outWidth: Wo } = info;
  const { inHeight: H, inWidth: W } = info;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  const N = B * Ho * Wo;
  const xT = runWasm("Transpose", { x }, { perm: [3, 0, 1, 2] }, backend); // [Ci, B, H, W]
  const col = backend.makeOutput([KH * KW * Ci, N], "float32");
  const c = f32(backend, col), xs = f32(backend, xT);
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      // output columns ow whose input column ow·sw − pl + kw is inside [0, W)
      const ow0 = Math.max(0, Math.ceil((pl - kw) / sw));
      const ow1 = Math.min(Wo, Math.floor((W - 1 + pl - kw) / sw) + 1);
      for (let ci = 0; ci < Ci; ci++) {
        let o = ((kh * KW + kw) * Ci + ci) * N;
        for (let b = 0; b < B; b++) {
          const plane = (ci * B + b) * H * W;
          for (let oh = 0; oh < Ho; oh++, o += Wo) {
            const ih = oh * sh - pt + kh;
            if (ih < 0 || ih >= H || ow1 <= ow0) {
              c.fill(0, o, o + Wo);
              continue;
            }
            if (ow0 > 0) c.fill(0, o, o + ow0);
            if (ow1 < Wo) c.fill(0, o + ow1, o + Wo);
            const row = plane + ih * W - pl + kw;
            if (sw === 1) {
              c.set(xs.subarray(row + ow0, row + ow1), o + ow0);
            } else {
              for (let ow = ow0; ow < ow1; ow++) c[o + ow] = xs[row + ow * sw];
            }
          }
        }
      }
    }
  }
  disposeInfo(backend, xT);
  const dw = runWasm(
    "BatchMatMul",
    {
      a: reshapeInfo(col, [1, KH * KW * Ci, N]),
      b: reshapeInfo(dy, [1, N, Co]),
    },
    { transposeA: false, transposeB: false },
    backend,
  );
  disposeInfo(backend, col);
  return relabel(backend, dw, [KH, KW, Ci, Co]);
}

/** Largest im2col scratch (floats) {@link conv2DBackpropFilterAuto} allows: 64 MB. */
export const IM2COL_MAX_FLOATS = 16 * 1024 * 1024;

/**
 * `Conv2DBackpropFilter`: picks {@link conv2DBackpropFilterIm2col} or
 * {@link conv2DBackpropFilter} by shape. The conv form feeds XNNPACK `B` channels per filter tap,
 * which is slow for small batches (batch 1: 2–6x slower than im2col) and small `Ci`; im2col
 * copies `KH·KW` times the input, which does not pay off for batch ≥ 8 with many channels
 * (measured on the SimGAN, CycleGAN and pix2pix layer shapes at batch 1, 4 and 16).
 */
export function conv2DBackpropFilterAuto(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const filterShape = (args.attrs ?? {}).filterShape as number[];
  const [B, Ho, Wo] = dy.shape;
  const [KH, KW, Ci] = filterShape;
  const colFloats = KH * KW * Ci * B * Ho * Wo;
  const nhwc = ((args.attrs ?? {}).dataFormat ?? "NHWC") === "NHWC";
  if (nhwc && colFloats <= IM2COL_MAX_FLOATS && (B < 8 || Ci <= 4) && x.dtype === "float32") {
    return conv2DBackpropFilterIm2col(args);
  }
  return conv2DBackpropFilter(args);
}
