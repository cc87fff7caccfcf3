// The users page's search box, role and state filters and pager (web/js/admin-users.js). A district
// has thousands of home owners: the server searches and pages (GET /api/users?q=&role=&status=
// &scopeMissing=&sameName=&limit=&offset=); this keeps what the admin asked for and says where they are in it.
import { h } from './dom.js';
import { t, tv } from './i18n.js';
import { ROLES } from './user-form.js';

/** Users a page: a screen of a desk PC without scrolling far. */
export const PAGE_SIZE = 50;
/** What the server accepts for `q` (src/api/user-routes.ts). */
const QUERY_LIMIT = 100;
/** Typing settles before the server is asked: one request per pause, not per key. */
const TYPING_MS = 300;

/**
 * The toolbar; `onChange()` is called when the question changed (the page starts over at the first
 * page). `query()` is the question as URL parameters, `showMissing()` asks for the users whose site
 * or node left the config.
 */
export function usersFinder(onChange) {
  let timer;
  let offset = 0;
  const changed = () => {
    clearTimeout(timer);
    offset = 0;
    onChange();
  };
  const search = h('input', {
    type: 'search',
    name: 'user-search',
    autocomplete: 'off',
    maxLength: QUERY_LIMIT,
    placeholder: t('userSearch'),
    'aria-label': t('userSearchLabel'),
    oninput: () => {
      clearTimeout(timer);
      timer = setTimeout(changed, TYPING_MS);
    },
    onkeydown: (e) => {
      if (e.key === 'Enter') changed();
    },
  });
  const role = h(
    'select',
    { name: 'user-role', 'aria-label': t('colRole'), onchange: changed },
    h('option', { value: '' }, t('userAllRoles')),
    ROLES.map((r) => h('option', { value: r }, tv('role', r))),
  );
  const status = h(
    'select',
    { name: 'user-status', 'aria-label': t('colStatus'), onchange: changed },
    h('option', { value: '' }, t('userAllStates')),
    h('option', { value: 'enabled' }, t('userEnabled')),
    h('option', { value: 'disabled' }, t('userDisabled')),
    h('option', { value: 'missing' }, t('userScopeGoneState')),
    h('option', { value: 'samename' }, t('userSameName')),
  );

  return {
    el: h('div', { class: 'users-finder' }, search, role, status),
    /** The question as `GET /api/users` parameters, for the page at `offset`. */
    query() {
      const p = new URLSearchParams();
      const words = search.value.trim().slice(0, QUERY_LIMIT);
      if (words) p.set('q', words);
      if (role.value) p.set('role', role.value);
      if (status.value === 'missing') p.set('scopeMissing', 'true');
      else if (status.value === 'samename') p.set('sameName', 'true');
      else if (status.value) p.set('status', status.value);
      p.set('limit', String(PAGE_SIZE));
      p.set('offset', String(offset));
      return p.toString();
    },
    /** Whether anything narrows the list (the count then reads "found", not "in all"). */
    narrowed: () => Boolean(search.value.trim() || role.value || status.value),
    /** Whether the list is already the users whose site or node is gone. */
    showingMissing: () => status.value === 'missing',
    showMissing() {
      status.value = 'missing';
      changed();
    },
    /** Whether the list is already the accounts that share their name with another. */
    showingSameNames: () => status.value === 'samename',
    showSameNames() {
      status.value = 'samename';
      changed();
    },
    /** The pager under the table for a `page` answer; `onMove()` loads the page moved to. */
    pager(page, onMove) {
      // From the page asked for last, not the one shown: quick clicks each move one page on.
      const last = Math.max(0, Math.floor((page.total - 1) / PAGE_SIZE) * PAGE_SIZE);
      const move = (by) => {
        offset = Math.min(last, Math.max(0, offset + by));
        onMove();
      };
      const to = page.offset + page.users.length;
      if (page.total === 0) return null;
      const button = (which, by, disabled) =>
        h(
          'button',
          { type: 'button', class: 'ghost', dataset: { page: which }, disabled, onclick: () => move(by) },
          t(which === 'prev' ? 'userPrev' : 'userNext'),
        );
      return h(
        'div',
        { class: 'users-pager' },
        h('span', { class: 'users-range' }, t('userRange', { from: page.offset + 1, to, n: page.total })),
        // One page has nowhere to go: no buttons that are always off.
        page.total > PAGE_SIZE ? button('prev', -PAGE_SIZE, page.offset === 0) : null,
        page.total > PAGE_SIZE ? button('next', PAGE_SIZE, to >= page.total) : null,
      );
    },
    /** After a change emptied the last page (the last disabled user enabled under 已停用): one back. */
    stepBackIfPast(total) {
      if (offset > 0 && offset >= total) {
        offset = Math.max(0, Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE);
        return true;
      }
      return false;
    },
  };
}
