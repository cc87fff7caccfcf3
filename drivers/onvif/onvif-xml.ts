import { XMLParser } from 'fast-xml-parser';

/**
 * Namespace-prefix tolerant XML access. Vendors bind the same ONVIF namespaces to different prefixes
 * (Hikvision `tt:`/`trt:`, Dahua `tt:`/`tr2:` or none, Axis `onvif:`/`tds:`, some `ns0:`...), so the
 * parser drops prefixes and every lookup is by local name. Attributes keep their local name with `@_`.
 */
export type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  removeNSPrefix: true,
  attributeNamePrefix: '@_',
  // Tokens like "000" or "0.0" must stay strings; numbers are converted where the schema says so.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

export class OnvifError extends Error {
  readonly prefix = 'onvif';
  constructor(
    message: string,
    readonly data: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(`onvif: ${message}`, options);
    this.name = 'OnvifError';
  }
}

export function parseXml(xml: string): XmlNode {
  try {
    return parser.parse(xml) as XmlNode;
  } catch (err) {
    throw new OnvifError('response is not XML', { head: xml.slice(0, 120) }, { cause: err });
  }
}

function isNode(v: unknown): v is XmlNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** All children named `name` (0, 1 or many: the parser only makes arrays for repeated elements). */
export function all(node: unknown, name: string): XmlNode[] {
  if (!isNode(node)) return [];
  const v = node[name];
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  // An empty element (`<tt:C/>`) parses as ''; callers want a node they can look into.
  return list.map((x) => (isNode(x) ? x : { '#text': x === '' ? undefined : x }));
}

export function child(node: unknown, name: string): XmlNode | undefined {
  return all(node, name)[0];
}

/** Follows a path of local names, taking the first child at each step. */
export function path(node: unknown, ...names: string[]): XmlNode | undefined {
  let cur: unknown = node;
  for (const n of names) {
    cur = child(cur, n);
    if (cur === undefined) return undefined;
  }
  return cur as XmlNode;
}

/** Text of an element (or of a path below it); undefined when missing or empty. */
export function text(node: unknown, ...names: string[]): string | undefined {
  const target = names.length > 0 ? path(node, ...names) : node;
  if (target === undefined || target === null) return undefined;
  if (typeof target === 'string') return target === '' ? undefined : target;
  if (typeof target === 'number' || typeof target === 'boolean') return String(target);
  if (!isNode(target)) return undefined;
  const t = target['#text'];
  return t === undefined || t === '' ? undefined : String(t);
}

export function attr(node: unknown, name: string): string | undefined {
  if (!isNode(node)) return undefined;
  const v = node[`@_${name}`];
  return v === undefined ? undefined : String(v);
}

/** Depth-first search for the first element with this local name anywhere below `node`. */
export function find(node: unknown, name: string): XmlNode | undefined {
  if (!isNode(node)) {
    if (Array.isArray(node)) {
      for (const x of node) {
        const hit = find(x, name);
        if (hit) return hit;
      }
    }
    return undefined;
  }
  const direct = child(node, name);
  if (direct) return direct;
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('@_') || k === '#text') continue;
    const hit = find(v, name);
    if (hit) return hit;
  }
  return undefined;
}

export function int(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) ? n : undefined;
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === "'" ? '&apos;' : '&quot;',
  );
}
