import type { JurisdictionTree } from '../core/jurisdictions.js';
import {
  mostWithin,
  type TogetherHealth,
  type TogetherRule,
  togetherHealth,
  togetherLevel,
} from '../health/lost-together.js';
import type { CameraStateStore } from './camera-state-store.js';

/** What `/api/health` adds under `checks.cameras` (the names panels use under `checks.panels`). */
export interface CameraLossCounts extends Partial<TogetherHealth> {
  /** Configured cameras lost now, on every node of the city. */
  lost: number;
}

export interface CameraLossesOptions {
  states: CameraStateStore;
  /** Every configured camera (a row left by a camera since removed is not counted). */
  cameras: readonly string[];
  windowMs: number;
  rule: TogetherRule;
  /** Whether this node judges cameras lost together now (alone: always; a city: one node). */
  judges: () => boolean;
  /** A camera's jurisdiction node (its site's), and the tree: where the lost ones are. */
  placeOf?: (camera: string) => string | undefined;
  tree?: Pick<JurisdictionTree, 'get'>;
}

/**
 * Cameras lost together, read from the stored losses of every node: a switch, a carrier or the
 * receiver's own link going down darkens many sites' cameras within minutes, which is one fault to
 * mend, not a site's. Counted by when each last delivered video; a camera that never delivered any
 * (a wrong address or password) is its own fault and is not counted together.
 */
export class CameraLosses {
  private readonly configured: ReadonlySet<string>;

  constructor(private readonly opts: CameraLossesOptions) {
    this.configured = new Set(opts.cameras);
  }

  async counts(): Promise<CameraLossCounts> {
    const losses = (await this.opts.states.losses()).filter((l) => this.configured.has(l.camera));
    if (!this.opts.judges()) return { lost: losses.length };
    const at = new Map<string, number>();
    for (const l of losses) {
      const t = l.lastFrameAt ? Date.parse(l.lastFrameAt) : Number.NaN;
      if (Number.isFinite(t)) at.set(l.camera, t);
    }
    const c = mostWithin([...at.values()], this.opts.windowMs);
    const level = togetherLevel(c.together, this.configured.size, this.opts.rule);
    const { placeOf, tree } = this.opts;
    const placesBetween = (from: number, to: number) => {
      const places: (string | undefined)[] = [];
      for (const [camera, t] of at) if (t >= from && t <= to) places.push(placeOf?.(camera));
      return places;
    };
    return {
      lost: losses.length,
      ...togetherHealth(c, level, placeOf && tree ? { placesBetween, tree } : undefined),
    };
  }
}
