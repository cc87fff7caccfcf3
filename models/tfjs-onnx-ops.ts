import { ModelError } from './model-error.js';
import type { AttrValue as OnnxAttr } from './onnx-builder.js';
import type { ConstTensor, GraphNode } from './tfjs-graph.js';

/** What an op mapper may do while converting one TF node into ONNX nodes. */
export interface EmitContext {
  /** The constant behind a TF tensor name, when it is one (after folding). */
  constOf(name: string): ConstTensor | undefined;
  /** A float initializer for a TF constant used as data (e.g. a bias), by its TF name. */
  floatInput(name: string): string;
  /** A new initializer; returns its (unique) name. */
  initializer(hint: string, dims: number[], data: Float32Array | number[], int64?: boolean): string;
  /** A fresh intermediate tensor name. */
  tmp(hint: string): string;
  emit(op: string, inputs: string[], outputs: string[], attrs?: Record<string, OnnxAttr>): void;
}

type Mapper = (n: GraphNode, ctx: EmitContext) => void;

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

function need(ctx: EmitContext, n: GraphNode, i: number): ConstTensor {
  const name = n.inputs[i];
  const c = name === undefined ? undefined : ctx.constOf(name);
  if (!c) throw new ModelError(`${n.op} ${n.name}: input ${i} must be a constant`);
  return c;
}

const ints = (t: ConstTensor) => Array.from(t.data, (v) => Math.round(v));
const input = (n: GraphNode, i: number) => {
  const name = n.inputs[i];
  if (name === undefined) throw new ModelError(`${n.op} ${n.name}: missing input ${i}`);
  return name;
};
const nchw = (n: GraphNode) => n.attrs['data_format'] === 'NCHW';
/** TF's 4-element NHWC (or NCHW) list → the two spatial values. */
const spatial = (n: GraphNode, key: string, dflt = [1, 1, 1, 1]) => {
  const v = (n.attrs[key] as number[] | undefined) ?? dflt;
  return nchw(n) ? [v[2]!, v[3]!] : [v[1]!, v[2]!];
};

/** Padding attributes of a TF conv or pool in ONNX terms. */
function padding(n: GraphNode): Record<string, OnnxAttr> {
  const mode = n.attrs['padding'];
  if (mode === 'SAME') return { auto_pad: 'SAME_UPPER' };
  if (mode === 'VALID') return { pads: [0, 0, 0, 0] };
  if (mode === 'EXPLICIT') {
    const p = n.attrs['explicit_paddings'] as number[];
    const [t, b, l, r] = nchw(n) ? [p[4]!, p[5]!, p[6]!, p[7]!] : [p[2]!, p[3]!, p[4]!, p[5]!];
    return { pads: [t, l, b, r] };
  }
  throw new ModelError(`${n.op} ${n.name}: padding ${String(mode)} is not supported`);
}

/**
 * Runs `body` on the input in NCHW (ONNX's conv and pool layout) and writes its result back in the
 * node's own layout: NHWC graphs get a transpose on each side, which onnxruntime's transpose
 * optimizer cancels between neighbouring convolutions.
 */
function inNchw(n: GraphNode, ctx: EmitContext, body: (x: string, y: string) => void): void {
  if (nchw(n)) {
    body(input(n, 0), n.name);
    return;
  }
  const x = ctx.tmp(`${n.name}/nchw_in`);
  const y = ctx.tmp(`${n.name}/nchw_out`);
  ctx.emit('Transpose', [input(n, 0)], [x], { perm: NHWC_TO_NCHW });
  body(x, y);
  ctx.emit('Transpose', [y], [n.name], { perm: NCHW_TO_NHWC });
}

/** ONNX op (and attributes) of the activations TF fuses into a conv, or plain TF activation ops. */
function activation(op: string, n: GraphNode, ctx: EmitContext, x: string, out: string): void {
  if (op === 'Relu6') {
    ctx.emit('Clip', [x, ctx.initializer('zero', [], [0]), ctx.initializer('six', [], [6])], [out]);
    return;
  }
  if (op === 'LeakyRelu') {
    const alpha = Number(n.attrs['leakyrelu_alpha'] ?? n.attrs['alpha'] ?? 0.2);
    ctx.emit('LeakyRelu', [x], [out], { alpha: { float: alpha } });
    return;
  }
  if (op !== 'Relu' && op !== 'Elu' && op !== 'Sigmoid')
    throw new ModelError(`${n.op} ${n.name}: fused activation ${op} is not supported`);
  ctx.emit(op, [x], [out]);
}

/** Conv2D / DepthwiseConv2dNative and their fused forms (bias + activation). */
function conv(depthwise: boolean): Mapper {
  return (n, ctx) => {
    const w = need(ctx, n, 1);
    const [kh, kw, cin, cout] = w.shape as [number, number, number, number];
    const src = w.data;
    // TF HWIO (depthwise: H W C multiplier) → ONNX OIHW (depthwise: C·mult, 1, H, W; group = C).
    const outCh = depthwise ? cin * cout : cout;
    const inCh = depthwise ? 1 : cin;
    const dst = new Float32Array(src.length);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < cin; i++)
          for (let o = 0; o < cout; o++) {
            const from = ((y * kw + x) * cin + i) * cout + o;
            const to = depthwise ? ((i * cout + o) * kh + y) * kw + x : ((o * cin + i) * kh + y) * kw + x;
            dst[to] = src[from]!;
          }
    const weight = ctx.initializer(`${n.name}/W`, [outCh, inCh, kh, kw], dst);
    const fused = (n.attrs['fused_ops'] as string[] | undefined) ?? [];
    const extra = fused.filter((f) => f !== 'BiasAdd');
    if (fused.length > 0 && fused[0] !== 'BiasAdd')
      throw new ModelError(`${n.op} ${n.name}: fused ops ${fused.join(',')} are not supported`);
    if (extra.length > 1) throw new ModelError(`${n.op} ${n.name}: fused ops ${fused.join(',')}`);
    const bias = fused[0] === 'BiasAdd' ? [ctx.floatInput(input(n, 2))] : [];
    inNchw(n, ctx, (x, y) => {
      const convOut = extra[0] ? ctx.tmp(`${n.name}/conv`) : y;
      ctx.emit('Conv', [x, weight, ...bias], [convOut], {
        kernel_shape: [kh, kw],
        strides: spatial(n, 'strides'),
        dilations: spatial(n, 'dilations'),
        group: depthwise ? cin : 1,
        ...padding(n),
      });
      if (extra[0]) activation(extra[0], n, ctx, convOut, y);
    });
  };
}

function pool(op: 'MaxPool' | 'AveragePool'): Mapper {
  return (n, ctx) =>
    inNchw(n, ctx, (x, y) =>
      ctx.emit(op, [x], [y], {
        kernel_shape: spatial(n, 'ksize'),
        strides: spatial(n, 'strides'),
        ...padding(n),
        ...(op === 'AveragePool' ? { count_include_pad: 0 } : {}),
      }),
    );
}

function resize(n: GraphNode, ctx: EmitContext, mode: 'linear' | 'nearest'): void {
  const size = ints(need(ctx, n, 1));
  const half = n.attrs['half_pixel_centers'] === true;
  const corners = n.attrs['align_corners'] === true;
  // Full-rank `sizes` [N, h, w, C] built from the input's own shape, resized in NHWC as TF does:
  // onnxruntime's extended optimizers break a Resize that uses opset 18 `axes` ("Number of elements
  // of input 'sizes' (0)"). The Shape is constant-folded by onnxruntime: every shape here is static.
  const x = input(n, 0);
  const shape = ctx.tmp(`${n.name}/shape`);
  const n_ = ctx.tmp(`${n.name}/n`);
  const c_ = ctx.tmp(`${n.name}/c`);
  const sizes = ctx.tmp(`${n.name}/sizes`);
  ctx.emit('Shape', [x], [shape]);
  ctx.emit(
    'Slice',
    [shape, ctx.initializer('s0', [1], [0], true), ctx.initializer('s1', [1], [1], true)],
    [n_],
  );
  ctx.emit(
    'Slice',
    [shape, ctx.initializer('s3', [1], [3], true), ctx.initializer('s4', [1], [4], true)],
    [c_],
  );
  ctx.emit('Concat', [n_, ctx.initializer(`${n.name}/hw`, [2], size, true), c_], [sizes], { axis: 0 });
  ctx.emit('Resize', [x, '', '', sizes], [n.name], {
    mode,
    coordinate_transformation_mode: corners ? 'align_corners' : half ? 'half_pixel' : 'asymmetric',
    ...(mode === 'nearest' ? { nearest_mode: half ? 'round_prefer_ceil' : 'floor' } : {}),
  });
}

function pad(n: GraphNode, ctx: EmitContext): void {
  const p = ints(need(ctx, n, 1));
  const rank = p.length / 2;
  const pads = [
    ...Array.from({ length: rank }, (_, i) => p[2 * i]!),
    ...Array.from({ length: rank }, (_, i) => p[2 * i + 1]!),
  ];
  const value = n.op === 'PadV2' ? [ctx.floatInput(input(n, 2))] : [];
  ctx.emit(
    'Pad',
    [input(n, 0), ctx.initializer(`${n.name}/pads`, [pads.length], pads, true), ...value],
    [n.name],
    {
      mode: 'constant',
    },
  );
}

function binary(op: string): Mapper {
  return (n, ctx) => {
    const a = ctx.constOf(input(n, 0)) ? ctx.floatInput(input(n, 0)) : input(n, 0);
    const b = ctx.constOf(input(n, 1)) ? ctx.floatInput(input(n, 1)) : input(n, 1);
    ctx.emit(op, [a, b], [n.name]);
  };
}

const unary =
  (op: string): Mapper =>
  (n, ctx) =>
    ctx.emit(op, [input(n, 0)], [n.name]);

/** TF op name → ONNX nodes. Anything else is refused by name, so a new model fails loudly. */
export const OP_MAPPERS: Record<string, Mapper> = {
  Conv2D: conv(false),
  _FusedConv2D: conv(false),
  DepthwiseConv2dNative: conv(true),
  FusedDepthwiseConv2dNative: conv(true),
  MaxPool: pool('MaxPool'),
  AvgPool: pool('AveragePool'),
  ResizeBilinear: (n, ctx) => resize(n, ctx, 'linear'),
  ResizeNearestNeighbor: (n, ctx) => resize(n, ctx, 'nearest'),
  Pad: pad,
  PadV2: pad,
  Add: binary('Add'),
  AddV2: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  RealDiv: binary('Div'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Relu: unary('Relu'),
  Sigmoid: unary('Sigmoid'),
  Tanh: unary('Tanh'),
  Elu: unary('Elu'),
  Exp: unary('Exp'),
  Identity: unary('Identity'),
  Relu6: (n, ctx) => activation('Relu6', n, ctx, input(n, 0), n.name),
  LeakyRelu: (n, ctx) =>
    ctx.emit('LeakyRelu', [input(n, 0)], [n.name], { alpha: { float: Number(n.attrs['alpha'] ?? 0.2) } }),
  Softmax: (n, ctx) => ctx.emit('Softmax', [input(n, 0)], [n.name], { axis: -1 }),
  Transpose: (n, ctx) => ctx.emit('Transpose', [input(n, 0)], [n.name], { perm: ints(need(ctx, n, 1)) }),
  Reshape: (n, ctx) => {
    const shape = ints(need(ctx, n, 1));
    ctx.emit(
      'Reshape',
      [input(n, 0), ctx.initializer(`${n.name}/shape`, [shape.length], shape, true)],
      [n.name],
    );
  },
  ConcatV2: (n, ctx) => {
    const k = n.inputs.length - 1;
    const axis = ints(need(ctx, n, k))[0]!;
    const parts = n.inputs.slice(0, k).map((x) => (ctx.constOf(x) ? ctx.floatInput(x) : x));
    ctx.emit('Concat', parts, [n.name], { axis });
  },
  SplitV: (n, ctx) => {
    const sizes = ints(need(ctx, n, 1));
    const axis = ints(need(ctx, n, 2))[0]!;
    if (sizes.some((s) => s < 0)) throw new ModelError(`SplitV ${n.name}: inferred sizes are not supported`);
    const outs = sizes.map((_, i) => (i === 0 ? n.name : `${n.name}:${i}`));
    ctx.emit('Split', [input(n, 0), ctx.initializer(`${n.name}/split`, [sizes.length], sizes, true)], outs, {
      axis,
    });
  },
  Mean: (n, ctx) => {
    const axes = ints(need(ctx, n, 1));
    ctx.emit(
      'ReduceMean',
      [input(n, 0), ctx.initializer(`${n.name}/axes`, [axes.length], axes, true)],
      [n.name],
      {
        keepdims: n.attrs['keep_dims'] === true ? 1 : 0,
      },
    );
  },
  ExpandDims: (n, ctx) => {
    const axes = ints(need(ctx, n, 1));
    ctx.emit(
      'Unsqueeze',
      [input(n, 0), ctx.initializer(`${n.name}/axes`, [axes.length], axes, true)],
      [n.name],
    );
  },
  Squeeze: (n, ctx) => {
    const axes = (n.attrs['squeeze_dims'] as number[] | undefined) ?? [];
    ctx.emit(
      'Squeeze',
      [input(n, 0), ...(axes.length ? [ctx.initializer(`${n.name}/axes`, [axes.length], axes, true)] : [])],
      [n.name],
    );
  },
};
