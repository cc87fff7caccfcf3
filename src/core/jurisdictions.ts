import type { JurisdictionNode } from '../config/sections/jurisdictions.js';

export interface TreeNode {
  id: string;
  name: string;
  kind: string | undefined;
  parent: string | null;
  depth: number;
  /** Ids from the root down to and including this node. */
  path: readonly string[];
}

/**
 * The jurisdiction tree, indexed once so that scope checks are O(depth) whatever the number of
 * sites and nodes (a city runs thousands of grid cells).
 */
export class JurisdictionTree {
  private readonly nodes = new Map<string, TreeNode>();
  private readonly kids = new Map<string, string[]>();
  readonly roots: string[] = [];

  constructor(config: readonly JurisdictionNode[]) {
    const add = (n: JurisdictionNode, parent: TreeNode | null) => {
      const node: TreeNode = {
        id: n.id,
        name: n.name,
        kind: n.kind,
        parent: parent?.id ?? null,
        depth: parent ? parent.depth + 1 : 0,
        path: parent ? [...parent.path, n.id] : [n.id],
      };
      this.nodes.set(n.id, node);
      this.kids.set(n.id, []);
      if (parent) this.kids.get(parent.id)!.push(n.id);
      else this.roots.push(n.id);
      for (const c of n.children) add(c, node);
    };
    for (const r of config) add(r, null);
  }

  get(id: string): TreeNode | undefined {
    return this.nodes.get(id);
  }

  has(id: string): boolean {
    return this.nodes.has(id);
  }

  children(id: string): readonly string[] {
    return this.kids.get(id) ?? [];
  }

  parent(id: string): string | null {
    return this.nodes.get(id)?.parent ?? null;
  }

  /** The node and its ancestors, nearest first: the desks an incident at `id` is routed to. */
  ancestors(id: string): string[] {
    const n = this.nodes.get(id);
    return n ? [...n.path].reverse() : [];
  }

  /** True when `node` lies in the subtree rooted at `scope` (a scope contains itself). */
  within(node: string, scope: string): boolean {
    const n = this.nodes.get(node);
    return n !== undefined && n.path.includes(scope);
  }

  /** Every node id of the subtree rooted at `scope`. */
  subtree(scope: string): string[] {
    if (!this.nodes.has(scope)) return [];
    const out: string[] = [];
    const stack = [scope];
    while (stack.length > 0) {
      const id = stack.pop()!;
      out.push(id);
      stack.push(...(this.kids.get(id) ?? []));
    }
    return out;
  }

  all(): TreeNode[] {
    return [...this.nodes.values()];
  }
}
