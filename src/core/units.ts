import type { UnitConfig } from '../config/sections/units.js';
import type { CoreRepository } from './core-repository.js';
import type { JurisdictionTree } from './jurisdictions.js';

export type UnitStatus = 'available' | 'dispatched' | 'on_scene';

export interface UnitView extends UnitConfig {
  status: UnitStatus;
  /** The open incident the unit is committed to, if any. */
  incident?: string;
}

/**
 * Units come from config (`units:`), not the database: a station's cars and teams change with its
 * roster, which is configuration an administrator reviews; what a unit is doing is derived from the
 * incidents it was dispatched to.
 */
export class UnitRegistry {
  private readonly units = new Map<string, UnitConfig>();

  constructor(
    units: readonly UnitConfig[],
    private readonly tree: JurisdictionTree,
    private readonly repo: CoreRepository,
  ) {
    for (const u of units) this.units.set(u.id, u);
  }

  get(id: string): UnitConfig | undefined {
    return this.units.get(id);
  }

  /** Units whose node lies in the subtree of `scope`, with their current status. */
  async list(scope: string | undefined): Promise<UnitView[]> {
    const busy = await this.repo.busyUnits();
    const out: UnitView[] = [];
    for (const u of this.units.values()) {
      if (scope !== undefined && !this.tree.within(u.jurisdiction, scope)) continue;
      const b = busy.get(u.id);
      out.push({
        ...u,
        status: b ? (b.arrived ? 'on_scene' : 'dispatched') : 'available',
        ...(b ? { incident: b.incident } : {}),
      });
    }
    return out;
  }

  /** The open incident the unit is busy with, if any. */
  async busyWith(id: string): Promise<string | undefined> {
    return (await this.repo.busyUnits()).get(id)?.incident;
  }
}
