// Names where the service has ids: the user's scope, rules, panels, cameras, devices, unit kinds,
// and the words for an event (a trouble says what is wrong: "主机断电", not "故障"). Ids stay only
// where a person types them (usernames, incident numbers).
import { detailOf } from './details.js';
import { hasString, t, tv } from './i18n.js';
import { jurisdictionName, siteName, state } from './state.js';

/** The user's scope in words: a node's name, or a site user's site. */
export function scopeName(user) {
  if (!user) return '';
  return user.role === 'site' ? siteName(user.scope) : jurisdictionName(user.scope);
}

/** A correlation rule: the built-in ones in words, a configured one by its configured name. */
export function ruleName(rule) {
  if (!rule) return '';
  return hasString(`rule_${rule}`) ? t(`rule_${rule}`) : rule;
}

export function cameraName(id) {
  const cam = state.cameras.find((c) => c.id === id);
  return cam?.name ?? t('camera');
}

/** A panel as its site's people call it: its configured name, else "报警主机" (numbered when several). */
export function panelLabel(panelId) {
  const panel = state.panels.find((p) => p.id === panelId);
  if (panel?.name) return panel.name;
  const siblings = panel ? (state.panelsBySite.get(panel.site) ?? []) : [];
  if (siblings.length <= 1) return t('panelLabel');
  return t('panelLabelN', { n: siblings.findIndex((p) => p.id === panelId) + 1 });
}

/** Who or what produced an event: a panel, a camera, or the service itself. */
export function deviceName(id) {
  if (!id || id === 'system') return t('system');
  if (state.cameras.some((c) => c.id === id)) return cameraName(id);
  if (state.panels.some((p) => p.id === id)) return panelLabel(id);
  return t('panelLabel');
}

export function unitKind(kind) {
  return kind ? tv('kind', kind) : '';
}

function reasonText(reason) {
  return reason && hasString(`reason_${reason}`) ? t(`reason_${reason}`) : t('reason_unknown');
}

/**
 * An event in words. Troubles and restores say what is wrong or back once their details are loaded
 * (details.js); until then they read as the plain type.
 */
export function eventText(ev) {
  if (!ev) return t('noData');
  const d = detailOf(ev.key);
  if (ev.type === 'video_loss') return `${t('reason_video_loss')} · ${cameraName(ev.device)}`;
  if (ev.type === 'video_restore')
    return t('restore_of', { what: `${t('reason_video_loss')} · ${cameraName(ev.device)}` });
  if (ev.type === 'trouble' && d) return reasonText(d.reason);
  if (ev.type === 'restore' && d) {
    if (d.reason === 'communication_restored') return reasonText(d.reason);
    return d.reason ? t('restore_of', { what: reasonText(d.reason) }) : t('restore_generic');
  }
  return tv('type', ev.type);
}
