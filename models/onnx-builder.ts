/**
 * A tiny ONNX protobuf encoder: enough of ModelProto to build small graphs in tests and benches
 * without Python's `onnx` package. Field numbers follow onnx/onnx.proto3.
 */

type Field = Uint8Array;

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const intField = (field: number, n: number | bigint): Field =>
  Uint8Array.from([...key(field, 0), ...varint(n)]);
const bytesField = (field: number, bytes: Uint8Array): Field =>
  concat([Uint8Array.from([...key(field, 2), ...varint(bytes.length)]), bytes]);
const strField = (field: number, s: string): Field => bytesField(field, new TextEncoder().encode(s));
const msgField = (field: number, parts: readonly Field[]): Field => bytesField(field, concat(parts));
const floatField = (field: number, f: number): Field => {
  const b = new Uint8Array(5);
  b[0] = (field << 3) | 5;
  new DataView(b.buffer).setFloat32(1, f, true);
  return b;
};

export const DataType = { FLOAT: 1, INT64: 7 } as const;

export interface TensorInit {
  name: string;
  dims: readonly number[];
  /** Float32 values, or bigint-able integers for INT64. */
  data: Float32Array | readonly number[];
  type?: (typeof DataType)[keyof typeof DataType];
}

function tensor(t: TensorInit): Field[] {
  const type = t.type ?? DataType.FLOAT;
  const raw =
    type === DataType.FLOAT
      ? new Uint8Array(Float32Array.from(t.data).buffer)
      : new Uint8Array(BigInt64Array.from(Array.from(t.data, (v) => BigInt(v))).buffer);
  return [...t.dims.map((d) => intField(1, d)), intField(2, type), strField(8, t.name), bytesField(9, raw)];
}

export type AttrValue = number | string | readonly number[] | { float: number };

function attribute(name: string, v: AttrValue): Field[] {
  if (typeof v === 'number') return [strField(1, name), intField(3, v), intField(20, 2)];
  if (typeof v === 'string') return [strField(1, name), strField(4, v), intField(20, 3)];
  if ('float' in v) return [strField(1, name), floatField(2, v.float), intField(20, 1)];
  return [strField(1, name), bytesField(8, Uint8Array.from(v.flatMap((n) => varint(n)))), intField(20, 7)];
}

export interface NodeInit {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: Record<string, AttrValue>;
}

/**
 * A tensor's shape: numbers are fixed sizes, strings are symbolic (dynamic) dimensions; no shape
 * leaves it to onnxruntime's inference.
 */
export interface ValueInit {
  name: string;
  shape?: readonly (number | string)[];
}

function valueInfo(v: ValueInit): Field[] {
  const tensorType = [intField(1, DataType.FLOAT)];
  if (v.shape) {
    const dims = v.shape.map((d) => msgField(1, [typeof d === 'number' ? intField(1, d) : strField(2, d)]));
    tensorType.push(msgField(2, dims));
  }
  return [strField(1, v.name), msgField(2, [msgField(1, tensorType)])];
}

export interface GraphInit {
  name?: string;
  nodes: readonly NodeInit[];
  initializers: readonly TensorInit[];
  inputs: readonly ValueInit[];
  outputs: readonly ValueInit[];
  opset?: number;
  /** ModelProto producer_name. */
  producer?: string;
}

/** Serializes a graph to ONNX ModelProto bytes that onnxruntime can load. */
export function buildModel(g: GraphInit): Uint8Array {
  const nodes = g.nodes.map((n, i) =>
    msgField(1, [
      ...n.inputs.map((s) => strField(1, s)),
      ...n.outputs.map((s) => strField(2, s)),
      strField(3, `${n.op.toLowerCase()}_${i}`),
      strField(4, n.op),
      ...Object.entries(n.attrs ?? {}).map(([k, v]) => msgField(5, attribute(k, v))),
    ]),
  );
  const graph = [
    ...nodes,
    strField(2, g.name ?? 'graph'),
    ...g.initializers.map((t) => msgField(5, tensor(t))),
    ...g.inputs.map((v) => msgField(11, valueInfo(v))),
    ...g.outputs.map((v) => msgField(12, valueInfo(v))),
  ];
  return concat([
    intField(1, 8), // ir_version 8
    strField(2, g.producer ?? 'sharpeyes-onnx-builder'),
    msgField(7, graph),
    msgField(8, [strField(1, ''), intField(2, g.opset ?? 13)]),
  ]);
}
