// Admins' users page: who may log in to the console, in the admin's subtree. Create a user (a new
// station's operators, a shop owner), edit one's display name, role and scope (a new role or scope
// signs them out everywhere), disable (ends every session at once: their queue and video close
// within seconds), enable, end sessions (a lost laptop), set a new password. Every change is
// audited on the server (GET/POST/PATCH /api/users). Thousands of home owners are searched and paged
// on the server (web/js/users-finder.js); a user whose site or node left the config is listed with
// that said, so an admin can place them again, and so is an account that is another's name but for
// case or width (made before usernames were one whatever their case), with which and what to do.
import { ApiError, api } from './api.js';
import { fill, h, toast } from './dom.js';
import { fmtDateTime, joinList, t, tv } from './i18n.js';
import { scopeName } from './names.js';
import { emit, state } from './state.js';
import { createUser, editUser } from './user-form.js';
import { usersFinder } from './users-finder.js';
import { dialog } from './widgets.js';

/** The server keeps a reason of up to 500 characters (src/api/user-routes.ts). */
const REASON_LIMIT = 500;

const ACTIONS = {
  disable: { label: 'userDisable', path: 'disable' },
  enable: { label: 'userEnable', path: 'enable' },
  revoke: { label: 'userRevoke', path: 'revoke' },
  passwd: { label: 'userPassword', path: 'password' },
};

/**
 * The accounts a twin shares its name with, and what to do: a username cannot change (the audit log
 * and the incidents name it), so the later account gets a new one by a new account and is disabled.
 */
function sameNameNote(u) {
  const others = joinList(u.sameName.others);
  return t(u.sameName.holds ? 'userSameNameKeeps' : 'userSameNameRename', { others });
}

export function mount(root) {
  const card = h('section', { class: 'card', id: 'admin-users' });
  root.append(h('div', { class: 'page-admin-users' }, card));
  let dead = false;
  /** Answers to an older question (typing on) are dropped. */
  let asked = 0;
  const finder = usersFinder(() => void load());
  const count = h('h3', {}, t('navUsers'));
  const banner = h('div', { class: 'users-banner', role: 'status' });
  const list = h('div', { class: 'users-list' });
  // Where the admin is in the list, above it as well as under it: the bottom is 50 rows away.
  const topPager = h('div', { class: 'users-pager-slot' });
  fill(
    card,
    h(
      'div',
      { class: 'users-head' },
      count,
      h(
        'button',
        { type: 'button', class: 'primary', id: 'user-create', onclick: () => void create() },
        t('userCreate'),
      ),
    ),
    h('div', { class: 'users-toolbar' }, finder.el, topPager),
    banner,
    list,
  );

  async function act(user, action) {
    const a = ACTIONS[action];
    const pw =
      action === 'passwd'
        ? h('input', {
            type: 'password',
            name: 'new-password',
            autocomplete: 'new-password',
            minLength: 8,
            placeholder: t('newPassword'),
          })
        : null;
    const answer = await dialog({
      title: t('confirmUser', { action: t(a.label), user: user.username }),
      note: REASON_LIMIT,
      body: pw ? h('label', {}, t('newPassword'), pw) : null,
    });
    if (!answer) return;
    const body = {
      ...(answer.note ? { reason: answer.note } : {}),
      ...(pw ? { password: pw.value } : {}),
    };
    try {
      const res = await api(`/api/users/${encodeURIComponent(user.username)}/${a.path}`, {
        method: 'POST',
        body,
      });
      toast(t('userDone', { action: t(a.label), user: user.username, n: res.sessionsEnded ?? 0 }));
    } catch (err) {
      toast(err instanceof ApiError ? err.message : String(err), 'error');
    }
    await load();
  }

  async function create() {
    const user = await createUser();
    if (!user) return;
    toast(t('userCreated', { user: user.username, role: tv('role', user.role), scope: scopeName(user) }));
    await load();
  }

  async function edit(user) {
    const self = user.username === state.user?.username;
    const res = await editUser(user, { self });
    if (!res || res.unchanged) return;
    // The top bar says who is logged in: an admin who renamed themselves reads the new name at once.
    if (self && res.user && state.user) {
      state.user = { ...state.user, displayName: res.user.displayName };
      emit('user');
    }
    toast(
      res.sessionsEnded > 0
        ? t('userSavedSignedOut', { user: user.username, n: res.sessionsEnded })
        : t('userSaved', { user: user.username }),
    );
    await load();
  }

  function row(u) {
    const me = u.username === state.user?.username;
    const button = (action, cls = 'ghost') =>
      h(
        'button',
        { type: 'button', class: cls, dataset: { action }, onclick: () => void act(u, action) },
        t(ACTIONS[action].label),
      );
    return h(
      'tr',
      { dataset: { user: u.username } },
      h(
        'td',
        {},
        u.username,
        u.sameName ? h('span', { class: 'chip same-name' }, t('userSameName')) : null,
        u.displayName ? h('div', { class: 'muted' }, u.displayName) : null,
        u.sameName ? h('div', { class: 'same-name-note' }, sameNameNote(u)) : null,
      ),
      h('td', {}, tv('role', u.role)),
      u.scopeMissing
        ? h(
            'td',
            { class: 'bad scope-missing', title: t('userScopeGoneHint') },
            t(u.role === 'site' ? 'userSiteGone' : 'userNodeGone', { id: u.scope }),
          )
        : h('td', { title: u.scope }, scopeName(u)),
      h('td', { class: u.disabled ? 'bad' : 'ok' }, u.disabled ? t('userDisabled') : t('userEnabled')),
      h('td', {}, String(u.sessions)),
      h('td', {}, u.lastLoginAt ? fmtDateTime(u.lastLoginAt) : t('noData')),
      h(
        'td',
        { class: 'user-actions' },
        h(
          'button',
          { type: 'button', class: 'ghost', dataset: { action: 'edit' }, onclick: () => void edit(u) },
          t('userEdit'),
        ),
        me ? null : u.disabled ? button('enable') : button('disable', 'ghost bad'),
        me || u.sessions === 0 ? null : button('revoke'),
        button('passwd'),
      ),
    );
  }

  async function load() {
    const seq = ++asked;
    let page;
    try {
      page = await api(`/api/users?${finder.query()}`);
    } catch (err) {
      if (!dead && seq === asked) fill(list, h('div', { class: 'bad' }, err.message));
      return;
    }
    if (dead || seq !== asked) return;
    if (finder.stepBackIfPast(page.total)) return load();
    count.textContent = `${t('navUsers')} · ${t(finder.narrowed() ? 'userFound' : 'userCount', { n: page.total })}`;
    const notice = (id, text, showing, show, label) =>
      h(
        'div',
        { class: 'users-notice' },
        h('span', {}, text),
        showing ? null : h('button', { type: 'button', class: 'ghost', id, onclick: show }, label),
      );
    fill(banner, [
      page.missingScopes > 0
        ? notice(
            'users-show-missing',
            t('userScopeGoneBanner', { n: page.missingScopes }),
            finder.showingMissing(),
            () => finder.showMissing(),
            t('userScopeGoneShow'),
          )
        : null,
      page.sameNames > 0
        ? notice(
            'users-show-same-names',
            t('userSameNameBanner', { n: page.sameNames }),
            finder.showingSameNames(),
            () => finder.showSameNames(),
            t('userSameNameShow'),
          )
        : null,
    ]);
    banner.hidden = !(page.missingScopes > 0 || page.sameNames > 0);
    fill(
      topPager,
      finder.pager(page, () => void load()),
    );
    fill(
      list,
      h(
        'table',
        { class: 'grid' },
        h(
          'tr',
          {},
          [
            t('username'),
            t('colRole'),
            t('colScope'),
            t('colStatus'),
            t('colSessions'),
            t('colLastLogin'),
            '',
          ].map((x) => h('th', {}, x)),
        ),
        page.users.length > 0
          ? page.users.map(row)
          : h('tr', {}, h('td', { colSpan: 7, class: 'empty' }, t('userNoMatch'))),
      ),
      finder.pager(page, () => void load()),
    );
  }

  void load();
  return () => {
    dead = true;
  };
}
