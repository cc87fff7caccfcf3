import { ModelError } from './model-error.js';
import { type AttrValue, buildModel, DataType, type NodeInit, type TensorInit } from './onnx-builder.js';
import type { ConstTensor, GraphNode, TfjsGraph } from './tfjs-graph.js';
import { type EmitContext, OP_MAPPERS } from './tfjs-onnx-ops.js';

/**
 * Converts a TensorFlow.js graph model to ONNX for onnxruntime, in TypeScript (no Python, no
 * tf2onnx): the subgraph that computes `outputs` is walked from the outputs back, constant
 * subexpressions are folded here, and each remaining TF op becomes ONNX nodes (`tfjs-onnx-ops.ts`).
 * The result is checked against TF.js itself on real images (test/models/tfjs-onnx.test.ts).
 */

export interface ConvertOptions {
  /** Tensors to compute (TF names); default the model's signature outputs. A cut point may be inside the graph. */
  outputs?: string[];
  name?: string;
}

/** ONNX opset of the converted models: Resize with `axes`, ReduceMean with axes as an input. */
export const CONVERTED_OPSET = 18;

const ELEMENTWISE: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  AddV2: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
};

/** Evaluates an op whose inputs are all constants, or returns undefined when it cannot. */
function fold(n: GraphNode, args: ConstTensor[]): ConstTensor | undefined {
  const [a, b, c, d] = args;
  switch (n.op) {
    case 'Identity':
      return a;
    case 'Cast': {
      if (!a) return undefined;
      const to = n.attrs['DstT'] === 'DT_FLOAT' ? 'float32' : 'int32';
      return {
        dtype: to,
        shape: a.shape,
        data: to === 'float32' ? Float32Array.from(a.data) : Int32Array.from(a.data),
      };
    }
    case 'SparseToDense': {
      // indices, output_shape, values, default (onnx-tf emits it with empty indices: a filled vector).
      if (!a || !b || !c || !d) return undefined;
      const shape = Array.from(b.data);
      if (shape.length !== 1) return undefined;
      const out = new Int32Array(shape[0]!).fill(d.data[0] ?? 0);
      for (let i = 0; i < a.data.length; i++) out[a.data[i]!] = c.data.length === 1 ? c.data[0]! : c.data[i]!;
      return { dtype: 'int32', shape, data: out };
    }
    default: {
      const f = ELEMENTWISE[n.op];
      if (!f || !a || !b) return undefined;
      const len = Math.max(a.data.length, b.data.length);
      if (a.data.length !== len && a.data.length !== 1) return undefined;
      if (b.data.length !== len && b.data.length !== 1) return undefined;
      const at = (t: ConstTensor, i: number) => t.data[t.data.length === 1 ? 0 : i]!;
      const shape = a.data.length === len ? a.shape : b.shape;
      const vals = Array.from({ length: len }, (_, i) => f(at(a, i), at(b, i)));
      return a.dtype === 'int32' && b.dtype === 'int32'
        ? { dtype: 'int32', shape, data: Int32Array.from(vals) }
        : { dtype: 'float32', shape, data: Float32Array.from(vals) };
    }
  }
}

/** The nodes `outputs` depend on, in dependency order. */
function subgraph(byName: Map<string, GraphNode>, outputs: string[]): GraphNode[] {
  const order: GraphNode[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (tensor: string) => {
    const name = tensor.replace(/:\d+$/, '');
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new ModelError(`graph has a cycle at ${name}`);
    const node = byName.get(name);
    if (!node) throw new ModelError(`graph has no node ${name}`);
    state.set(name, 'visiting');
    // Iterative depth would be safer for deep nets; these graphs are a few hundred nodes deep at most.
    for (const i of node.inputs) visit(i);
    state.set(name, 'done');
    order.push(node);
  };
  for (const o of outputs) visit(o);
  return order;
}

/**
 * Drops pairs of Transposes that undo each other (the converter wraps every NHWC conv in two, and
 * onnx-tf exports already wrap them the other way) when the middle tensor feeds nothing else.
 */
function cancelTransposes(nodes: NodeInit[], keep: ReadonlySet<string>): NodeInit[] {
  const consumers = new Map<string, number>();
  for (const n of nodes) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const producer = new Map<string, NodeInit>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
  const rename = new Map<string, string>();
  const dropped = new Set<NodeInit>();
  for (const n of nodes) {
    if (n.op !== 'Transpose') continue;
    const first = producer.get(n.inputs[0]!);
    if (!first || first.op !== 'Transpose' || dropped.has(first)) continue;
    if (consumers.get(first.outputs[0]!) !== 1 || keep.has(first.outputs[0]!)) continue;
    const p = first.attrs?.['perm'] as number[];
    const q = n.attrs?.['perm'] as number[];
    if (!q.every((axis, i) => p[axis] === i)) continue;
    // y = T_q(T_p(x)) = x: consumers of y read x instead (unless y is a graph output).
    if (keep.has(n.outputs[0]!)) continue;
    rename.set(n.outputs[0]!, first.inputs[0]!);
    dropped.add(first).add(n);
  }
  const resolve = (name: string): string => {
    let r = name;
    while (rename.has(r)) r = rename.get(r)!;
    return r;
  };
  return nodes.filter((n) => !dropped.has(n)).map((n) => ({ ...n, inputs: n.inputs.map(resolve) }));
}

export function convertTfjsGraph(g: TfjsGraph, opts: ConvertOptions = {}): Uint8Array {
  const outputs = opts.outputs ?? g.outputs;
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  const folded = new Map<string, ConstTensor>();
  const nodes: NodeInit[] = [];
  const inits: TensorInit[] = [];
  const initNames = new Set<string>();
  const shared = new Map<string, string>();
  let serial = 0;
  const unique = (hint: string) => {
    let name = hint;
    while (initNames.has(name) || byName.has(name)) name = `${hint}_${++serial}`;
    return name;
  };
  const ctx: EmitContext = {
    constOf: (name) => folded.get(name) ?? g.consts.get(name),
    floatInput(name) {
      const c = ctx.constOf(name);
      if (!c) return name;
      const key = `tf:${name}`;
      const existing = shared.get(key);
      if (existing) return existing;
      const init = ctx.initializer(name, c.shape, Float32Array.from(c.data));
      shared.set(key, init);
      return init;
    },
    initializer(hint, dims, data, int64) {
      // Small constants (Clip bounds, axes) repeat across the graph: share one initializer each.
      const key =
        data.length <= 16 ? `${int64 ? 'i' : 'f'}:${dims.join('x')}:${Array.from(data).join(',')}` : '';
      if (key && shared.has(key)) return shared.get(key)!;
      const name = unique(hint);
      initNames.add(name);
      inits.push({ name, dims, data, type: int64 ? DataType.INT64 : DataType.FLOAT });
      if (key) shared.set(key, name);
      return name;
    },
    tmp: (hint) => unique(hint),
    emit(op, inputs, outs, attrs?: Record<string, AttrValue>) {
      nodes.push({ op, inputs, outputs: outs, ...(attrs ? { attrs } : {}) });
    },
  };
  const graphInputs: { name: string; shape: number[] }[] = [];
  for (const n of subgraph(byName, outputs)) {
    if (n.op === 'Const') continue;
    if (n.op === 'Placeholder') {
      const sig = g.inputs.find((i) => i.name === n.name);
      if (!sig) throw new ModelError(`input ${n.name} is not in the model's signature`);
      graphInputs.push(sig);
      continue;
    }
    const args = n.inputs.map((i) => ctx.constOf(i));
    if (args.every((a): a is ConstTensor => a !== undefined)) {
      const v = fold(n, args);
      if (v) {
        folded.set(n.name, v);
        continue;
      }
    }
    const map = OP_MAPPERS[n.op];
    if (!map) throw new ModelError(`cannot convert ${n.op} (node ${n.name}): no ONNX mapping`);
    map(n, ctx);
  }
  const keep = new Set([...outputs, ...graphInputs.map((i) => i.name)]);
  return buildModel({
    name: opts.name ?? 'tfjs-graph',
    producer: 'sharpeyes-tfjs-to-onnx',
    opset: CONVERTED_OPSET,
    inputs: graphInputs,
    outputs: outputs.map((name) => ({ name })),
    initializers: inits,
    nodes: cancelTransposes(nodes, keep),
  });
}
