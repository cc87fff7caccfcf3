// Alarm linkage of the wall: an incident's cameras take the first tiles, and each of those tiles
// says in words what happened — priority, type, site, incident number and time — until someone
// acknowledges it. Incidents still unacknowledged when the wall opens take their tiles too.
import { t, tv } from '../js/i18n.js';
import { clockText } from '../js/zone.js';

/** The tiles after an alarm: linked cameras first (at most `alarmTiles`), then the others in order. */
export function placeAlarmCameras(tiles, linked, layout, alarmTiles) {
  const first = [...new Set(linked)].slice(0, Math.min(alarmTiles, layout));
  const rest = tiles.filter((c) => c && !first.includes(c));
  return [...first, ...rest].slice(0, layout);
}

/** What an alarm tile says: "P1 紧急按钮 · 鑫源金店", then "INC-… · 21:40:03 · 未确认" (the city's clock). */
export function alarmLabel(inc, siteName) {
  const type = inc.events?.[0]?.type;
  const time = clockText(inc.openedAt, document.documentElement.lang || 'zh-CN');
  return {
    priority: inc.priority,
    title: `P${inc.priority} ${type ? tv('type', type) : ''} · ${siteName}`,
    detail: `${inc.id} · ${time} · ${t('wallUnacked')}`,
  };
}

/**
 * Keeps `camera → alarm` for unacknowledged incidents. `take(inc)` asks the server for the incident's
 * cameras and returns their ids (or [] when none); `release(inc)` drops an incident no longer new.
 */
export function alarmBook(api) {
  const byCamera = new Map();
  return {
    get: (camera) => byCamera.get(camera),
    async take(inc, siteName) {
      const linked = await api(`/api/incidents/${encodeURIComponent(inc.id)}/cameras`);
      const ids = linked.cameras.map((c) => c.camera);
      const label = alarmLabel(inc, siteName ?? linked.cameras[0]?.siteName ?? '');
      for (const c of linked.cameras) {
        const held = byCamera.get(c.camera);
        // A camera shows the more urgent of two alarms.
        if (!held || held.priority >= inc.priority)
          byCamera.set(c.camera, { incident: inc.id, colour: linked.colour, ...label });
      }
      return { ids, cameras: linked.cameras };
    },
    release(inc) {
      let changed = false;
      for (const [cam, a] of byCamera)
        if (a.incident === inc.id) {
          byCamera.delete(cam);
          changed = true;
        }
      return changed;
    },
  };
}
