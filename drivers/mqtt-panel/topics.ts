/** Every topic of panel protocol v1 lives here. */

export type PanelTopicKind = 'event' | 'status' | 'heartbeat' | 'ack' | 'command' | 'reply';

export interface PanelTopics {
  event(panelId: string): string;
  status(panelId: string): string;
  heartbeat(panelId: string): string;
  ack(panelId: string): string;
  command(panelId: string): string;
  reply(panelId: string): string;
  /** Wildcard subscriptions for the service. */
  wildcard(kind: PanelTopicKind): string;
  /** `{panelId, kind}` when the topic is a panel topic under this prefix. */
  parse(topic: string): { panelId: string; kind: PanelTopicKind } | undefined;
}

const KINDS = new Set<PanelTopicKind>(['event', 'status', 'heartbeat', 'ack', 'command', 'reply']);

export function panelTopics(prefix = 'sharpeyes'): PanelTopics {
  const base = `${prefix}/panels`;
  return {
    event: (id) => `${base}/${id}/event`,
    status: (id) => `${base}/${id}/status`,
    heartbeat: (id) => `${base}/${id}/heartbeat`,
    ack: (id) => `${base}/${id}/ack`,
    command: (id) => `${base}/${id}/command`,
    reply: (id) => `${base}/${id}/reply`,
    wildcard: (kind) => `${base}/+/${kind}`,
    parse(topic) {
      if (!topic.startsWith(`${base}/`)) return undefined;
      const rest = topic.slice(base.length + 1).split('/');
      if (rest.length !== 2) return undefined;
      const [panelId, kind] = rest as [string, string];
      if (!panelId || !KINDS.has(kind as PanelTopicKind)) return undefined;
      return { panelId, kind: kind as PanelTopicKind };
    },
  };
}
