// Issue 19: the shop owner's own monthly rating (三色管理): this month so far and the months before,
// with why and whether it has been red or yellow months in a row. GET /api/ratings/sites/:id (the
// server lets a site user see their own site only). Made once per page; it loads itself.
import { optional } from './api.js';
import { fill, h } from './dom.js';
import { t, tv } from './i18n.js';

export function siteRatingCard(siteId) {
  const el = h('div', { class: 'site-rating', id: 'site-rating' });
  optional(`/api/ratings/sites/${encodeURIComponent(siteId)}?months=6`)
    .then((res) => {
      const months = res?.months ?? [];
      if (months.length === 0) return fill(el, h('div', { class: 'muted' }, t('noData')));
      const [now] = months;
      fill(
        el,
        h(
          'div',
          {},
          h('span', { class: `rating rating-${now.rating}` }, tv('rating', now.rating)),
          ` ${now.month}${now.final ? '' : ` (${t('rpSoFar')})`}`,
          now.flagged ? h('strong', { class: 'flag' }, ` ⚑ ${t('rpFlagged')} ×${now.alertStreak}`) : null,
        ),
        now.reasons.length > 0
          ? h(
              'div',
              { class: 'muted small' },
              now.reasons.map((x) => `${tv('measure', x.measure)} ${x.value} ≥ ${x.threshold}`).join('; '),
            )
          : null,
        h(
          'div',
          { class: 'small' },
          months
            .slice(1)
            .map((m) => h('span', { class: `rating rating-${m.rating}`, title: m.month }, m.month.slice(5))),
        ),
      );
    })
    .catch(() => fill(el, h('div', { class: 'muted' }, t('noData'))));
  return el;
}
