import type { Directory } from '../core/directory.js';
import type { User } from '../store/repositories.js';

/**
 * The one place that decides what a user may see. A user's scope is a jurisdiction node (they see
 * its subtree) or, for role `site`, a site id (they see that site only).
 */
export class Access {
  constructor(private readonly dir: Directory) {}

  canSeeJurisdiction(user: User, node: string): boolean {
    if (user.role === 'site') return false;
    return this.dir.tree.within(node, user.scope);
  }

  canSeeSite(user: User, siteId: string): boolean {
    const site = this.dir.site(siteId);
    if (!site) return false;
    if (user.role === 'site') return user.scope === siteId;
    return this.dir.tree.within(site.jurisdiction, user.scope);
  }

  canSeeCamera(user: User, cameraId: string): boolean {
    const cam = this.dir.camera(cameraId);
    return cam !== undefined && this.canSeeSite(user, cam.site);
  }

  canSeeIncident(user: User, incident: { site: string; jurisdiction: string }): boolean {
    if (user.role === 'site') return user.scope === incident.site;
    return this.dir.tree.within(incident.jurisdiction, user.scope);
  }

  /** Jurisdiction nodes whose incidents the user sees; `undefined` for a site user (filter by site). */
  visibleJurisdictions(user: User): string[] | undefined {
    if (user.role === 'site') return undefined;
    return this.dir.tree.subtree(user.scope);
  }

  /** Whether a scope string names something that exists, for `user add`. */
  validScope(role: User['role'], scope: string): boolean {
    return role === 'site' ? this.dir.site(scope) !== undefined : this.dir.tree.has(scope);
  }
}
