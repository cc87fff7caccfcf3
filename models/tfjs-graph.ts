import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ModelError } from './model-error.js';

/**
 * A TensorFlow.js graph model (`model.json` + weight shards) read from disk into plain data: its
 * nodes with decoded attributes and its constants as typed arrays (float16 and affine-quantized
 * weights dequantized to float32). What the ONNX converter and the TF.js reference runner start from.
 */

export type ConstData = Float32Array | Int32Array;

export interface ConstTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: ConstData;
}

export type AttrValue = string | number | boolean | number[] | string[];

export interface GraphNode {
  name: string;
  op: string;
  /** Inputs as `node` or `node:k` (output k); control inputs (`^node`) are dropped. */
  inputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface TfjsGraph {
  /** Nodes in file order (TF.js graphs are written in topological order, constants first). */
  nodes: GraphNode[];
  consts: Map<string, ConstTensor>;
  /** Signature inputs and outputs (`name:0` suffixes removed), in signature order. */
  inputs: { name: string; shape: number[] }[];
  outputs: string[];
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; original_dtype?: string; scale?: number; min?: number };
}

interface RawAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { s?: string[]; i?: (string | number)[]; f?: number[] };
}

interface ModelJson {
  format?: string;
  signature?: {
    inputs?: Record<string, { name: string; tensorShape?: { dim?: { size: string }[] } }>;
    outputs?: Record<string, { name: string }>;
  };
  modelTopology: { node: { name: string; op: string; input?: string[]; attr?: Record<string, RawAttr> }[] };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

/** IEEE 754 half to float. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

let halfTable: Float32Array | undefined;
/** All 65,536 halves decoded once: the weights of one model are millions of them. */
function halves(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

function decodeAttr(a: RawAttr): AttrValue {
  if (a.s !== undefined) return Buffer.from(a.s, 'base64').toString('utf8');
  if (a.i !== undefined) return Number(a.i);
  if (a.f !== undefined) return a.f;
  if (a.b !== undefined) return a.b;
  if (a.type !== undefined) return a.type;
  if (a.list) {
    if (a.list.s) return a.list.s.map((s) => Buffer.from(s, 'base64').toString('utf8'));
    if (a.list.i) return a.list.i.map(Number);
    if (a.list.f) return a.list.f;
    return [];
  }
  return '';
}

function decodeWeight(spec: WeightSpec, bytes: Buffer, offset: number): { t: ConstTensor; size: number } {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
  if (q) {
    const width = q.dtype === 'float16' || q.dtype === 'uint16' ? 2 : 1;
    const out = new Float32Array(count);
    const table = halves();
    for (let i = 0; i < count; i++) {
      if (q.dtype === 'float16') out[i] = table[view.getUint16(i * 2, true)]!;
      else {
        const v = width === 2 ? view.getUint16(i * 2, true) : view.getUint8(i);
        out[i] = v * (q.scale ?? 1) + (q.min ?? 0);
      }
    }
    const dtype = spec.dtype === 'int32' ? 'int32' : 'float32';
    const data = dtype === 'int32' ? Int32Array.from(out, Math.round) : out;
    return { t: { dtype, shape: spec.shape, data }, size: count * width };
  }
  if (spec.dtype === 'float32') {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
    return { t: { dtype: 'float32', shape: spec.shape, data: out }, size: count * 4 };
  }
  if (spec.dtype === 'int32') {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
    return { t: { dtype: 'int32', shape: spec.shape, data: out }, size: count * 4 };
  }
  throw new ModelError(`weight ${spec.name} has unsupported dtype ${spec.dtype}`);
}

const stripPort = (name: string) => name.replace(/:0$/, '');

/** The raw bytes of `model.json` and of each weight shard, in manifest order (for hashing). */
export function readTfjsSources(jsonPath: string): Buffer[] {
  const jsonBytes = readFileSync(jsonPath);
  const json = JSON.parse(jsonBytes.toString('utf8')) as ModelJson;
  return [
    jsonBytes,
    ...json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dirname(jsonPath), p)))),
  ];
}

/** Reads `model.json` and its shards (the shard paths are relative to the JSON file). */
export function readTfjsGraph(jsonPath: string): TfjsGraph {
  const jsonBytes = readFileSync(jsonPath);
  const json = JSON.parse(jsonBytes.toString('utf8')) as ModelJson;
  if (json.format !== 'graph-model')
    throw new ModelError(`${jsonPath} is not a TF.js graph model (format ${json.format})`);
  const consts = new Map<string, ConstTensor>();
  for (const group of json.weightsManifest) {
    const shards = group.paths.map((p) => readFileSync(join(dirname(jsonPath), p)));
    const bytes = Buffer.concat(shards);
    let offset = 0;
    for (const spec of group.weights) {
      const { t, size } = decodeWeight(spec, bytes, offset);
      consts.set(spec.name, t);
      offset += size;
    }
    if (offset !== bytes.length)
      throw new ModelError(`${jsonPath}: weights take ${offset} bytes, shards hold ${bytes.length}`);
  }
  const nodes: GraphNode[] = json.modelTopology.node.map((n) => ({
    name: n.name,
    op: n.op,
    inputs: (n.input ?? []).filter((i) => !i.startsWith('^')).map(stripPort),
    attrs: Object.fromEntries(Object.entries(n.attr ?? {}).map(([k, v]) => [k, decodeAttr(v)])),
  }));
  const inputs = Object.values(json.signature?.inputs ?? {}).map((i) => ({
    name: stripPort(i.name),
    shape: (i.tensorShape?.dim ?? []).map((d) => Number(d.size)),
  }));
  const outputs = Object.values(json.signature?.outputs ?? {}).map((o) => stripPort(o.name));
  return { nodes, consts, inputs, outputs };
}
