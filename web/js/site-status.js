// What a shop owner reads about their alarm, in plain words: where the police are with it
// ("已派警 北城巡逻1车 21:40"), and what a trouble means and what to do about it.
import { detailOf } from './details.js';
import { hasString, joinList, t } from './i18n.js';
import { eventText } from './names.js';
import { formatIn } from './zone.js';

const HHMM = { hour: '2-digit', minute: '2-digit', hour12: false };
const hhmm = (iso) => formatIn(document.documentElement.lang || 'zh-CN', HHMM).format(new Date(iso));

/**
 * The police's state of an incident as one line: received → accepted → dispatched (with the
 * unit) → on scene → done. `unitName(id)` names a unit.
 */
export function policeWords(inc, unitName) {
  const units = inc.units ?? [];
  const arrived = units.filter((u) => u.arrivedAt).sort((a, b) => a.arrivedAt.localeCompare(b.arrivedAt));
  const last = (to) => [...(inc.transitions ?? [])].reverse().find((tr) => tr.to === to);
  switch (inc.state) {
    case 'new':
      return t('police_new', { time: hhmm(inc.openedAt) });
    case 'acknowledged':
      return t('police_acknowledged', { time: hhmm(last('acknowledged')?.at ?? inc.updatedAt) });
    case 'dispatched': {
      const u = units.at(-1);
      return t('police_dispatched', {
        units: joinList(units.map((x) => unitName(x.unit))) || t('police_someUnit'),
        time: hhmm(u?.dispatchedAt ?? last('dispatched')?.at ?? inc.updatedAt),
      });
    }
    case 'on_scene': {
      const u = arrived[0];
      return t('police_on_scene', {
        units:
          joinList((arrived.length > 0 ? arrived : units).map((x) => unitName(x.unit))) ||
          t('police_someUnit'),
        time: hhmm(u?.arrivedAt ?? last('on_scene')?.at ?? inc.updatedAt),
      });
    }
    case 'resolved':
      return t('police_resolved', { time: hhmm(last('resolved')?.at ?? inc.updatedAt) });
    case 'false_alarm':
      return t('police_false_alarm', { time: hhmm(last('false_alarm')?.at ?? inc.updatedAt) });
    default:
      return '';
  }
}

/** The reason behind a maintenance ticket (its first trouble event), once the details are in. */
export function troubleReason(inc) {
  const ev = (inc.events ?? []).find((e) => e.type === 'trouble' || e.type === 'video_loss');
  if (!ev) return undefined;
  if (ev.type === 'video_loss') return 'video_loss';
  return detailOf(ev.key)?.reason ?? undefined;
}

/** What a trouble means for the owner and what to do: "主机断电 — 请检查主机电源插头…". */
export function troubleExplained(inc) {
  const ev = (inc.events ?? [])[0];
  const reason = troubleReason(inc);
  const advice = reason && hasString(`advice_${reason}`) ? t(`advice_${reason}`) : t('advice_unknown');
  return { what: ev ? eventText(ev) : t('reason_unknown'), advice };
}
