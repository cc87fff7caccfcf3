import type { Config } from '../config/schema.js';
import type { CameraConfig } from '../config/sections/cameras.js';
import type { PanelConfig } from '../config/sections/panels.js';
import type { SiteConfig } from '../config/sections/sites.js';
import { JurisdictionTree } from './jurisdictions.js';

/** Sites, panels and cameras from config, indexed for the hot path (lookups are O(1)). */
export class Directory {
  readonly tree: JurisdictionTree;
  private readonly sites = new Map<string, SiteConfig>();
  private readonly panels = new Map<string, PanelConfig>();
  private readonly cameras = new Map<string, CameraConfig>();
  private readonly camerasBySite = new Map<string, CameraConfig[]>();
  private readonly panelsBySite = new Map<string, PanelConfig[]>();

  constructor(config: Pick<Config, 'jurisdictions' | 'sites' | 'panels' | 'cameras'>) {
    this.tree = new JurisdictionTree(config.jurisdictions);
    for (const s of config.sites) this.sites.set(s.id, s);
    for (const p of config.panels) {
      this.panels.set(p.id, p);
      const list = this.panelsBySite.get(p.site) ?? [];
      list.push(p);
      this.panelsBySite.set(p.site, list);
    }
    for (const c of config.cameras) {
      this.cameras.set(c.id, c);
      const list = this.camerasBySite.get(c.site) ?? [];
      list.push(c);
      this.camerasBySite.set(c.site, list);
    }
  }

  site(id: string): SiteConfig | undefined {
    return this.sites.get(id);
  }
  panel(id: string): PanelConfig | undefined {
    return this.panels.get(id);
  }
  camera(id: string): CameraConfig | undefined {
    return this.cameras.get(id);
  }
  allSites(): SiteConfig[] {
    return [...this.sites.values()];
  }
  allPanels(): PanelConfig[] {
    return [...this.panels.values()];
  }
  allCameras(): CameraConfig[] {
    return [...this.cameras.values()];
  }
  panelsOfSite(site: string): PanelConfig[] {
    return this.panelsBySite.get(site) ?? [];
  }
  camerasOfSite(site: string): CameraConfig[] {
    return this.camerasBySite.get(site) ?? [];
  }

  /** Cameras linked to a panel zone, or every camera of the site when the zone names none. */
  camerasForZone(panelId: string, zone: string | undefined): CameraConfig[] {
    const panel = this.panels.get(panelId);
    const linked = zone !== undefined ? panel?.zones[zone]?.cameras : undefined;
    if (linked && linked.length > 0)
      return linked.map((id) => this.cameras.get(id)).filter((c) => c !== undefined);
    return panel ? this.camerasOfSite(panel.site) : [];
  }
}
