// The users page's form for a new user and for a user's role, scope and display name. The choices
// are the admin's own: the roles as the page names them, the jurisdiction nodes of their subtree
// (GET /api/tree) for staff and the sites they see (GET /api/sites) for a 单位用户; a city has
// thousands of shops, so the site list narrows as a name is typed. Checked in the page before
// anything is sent; what the server refuses is shown in the form, which keeps what was typed.
import { ApiError, api } from './api.js';
import { h } from './dom.js';
import { t, tv } from './i18n.js';
import { indentedName, jurisdictionName, state, treeNodes } from './state.js';
import { dialog } from './widgets.js';

/** The order the role select offers them: the desks first, the shop owners last. */
export const ROLES = ['operator', 'supervisor', 'investigator', 'admin', 'site'];

/** What the server accepts (src/api/user-routes.ts, src/auth/user-admin.ts). */
const LIMITS = { username: 64, displayName: 100, passwordMin: 8, passwordMax: 256, reason: 500 };

/**
 * The scope select: nodes for staff, sites (grouped by their jurisdiction, with a name filter) for a
 * site user. `value()` is the chosen id or ''.
 */
function scopePicker(role, scope) {
  const select = h('select', { name: 'scope', required: true });
  const filter = h('input', {
    type: 'search',
    name: 'site-filter',
    autocomplete: 'off',
    placeholder: t('userSiteFilter'),
    'aria-label': t('userSiteFilterLabel'),
  });
  const title = h('span');
  let current = { role, scope };

  function render() {
    const isSite = current.role === 'site';
    title.textContent = isSite ? t('userSite') : t('colScope');
    filter.hidden = !isSite;
    const placeholder = h('option', { value: '' }, isSite ? t('userPickSite') : t('userPickNode'));
    if (!isSite) {
      select.replaceChildren(
        placeholder,
        ...treeNodes().map((n) => h('option', { value: n.id }, indentedName(n))),
      );
    } else {
      const words = filter.value.trim().toLowerCase();
      const byNode = new Map();
      for (const s of state.sites.values()) {
        // The chosen site stays offered while another is searched for.
        if (words && !s.name.toLowerCase().includes(words) && s.id !== current.scope) continue;
        const list = byNode.get(s.jurisdiction) ?? [];
        list.push(s);
        byNode.set(s.jurisdiction, list);
      }
      const groups = [...byNode.entries()]
        .map(([node, sites]) => ({ name: jurisdictionName(node), sites }))
        .sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
      select.replaceChildren(
        placeholder,
        ...groups.map((g) =>
          h(
            'optgroup',
            { label: g.name },
            g.sites
              .sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'))
              .map((s) => h('option', { value: s.id }, s.name)),
          ),
        ),
      );
      // A search that finds one site chooses it.
      const found = select.querySelectorAll('option[value]:not([value=""])');
      if (words && found.length === 1) current.scope = found[0].value;
    }
    select.value = current.scope;
    if (select.value !== current.scope) select.value = '';
  }

  select.addEventListener('change', () => {
    current.scope = select.value;
  });
  filter.addEventListener('input', render);
  render();
  return {
    el: h('label', { class: 'user-scope' }, title, filter, select),
    select,
    setRole(next) {
      // Staff and site users are scoped to different kinds of things: the choice starts over.
      const kindChanged = (next === 'site') !== (current.role === 'site');
      current = { role: next, scope: kindChanged ? '' : current.scope };
      filter.value = '';
      render();
    },
    value: () => current.scope,
  };
}

const field = (label, input, hint, cls) =>
  h('label', { class: cls }, label, input, hint ? h('small', { class: 'muted' }, hint) : null);

function roleSelect(role, disabled) {
  return h(
    'select',
    { name: 'role', disabled },
    ROLES.map((r) => h('option', { value: r, selected: r === role }, tv('role', r))),
  );
}

/** A sentence for what is wrong with the form's fields, or ''; the username only when it is new. */
function problemOf({ username, displayName, password, confirm, role, scope }, creating) {
  if (creating && !username) return t('chk_empty', { field: t('field_username') });
  if (creating && [...username].length > LIMITS.username)
    return t('chk_too_long', { field: t('field_username'), limit: LIMITS.username, n: [...username].length });
  if (creating && (/[\s/\\]/.test(username) || username === '.' || username === '..'))
    return t('val_username_shape');
  if ([...displayName].length > LIMITS.displayName)
    return t('chk_too_long', {
      field: t('field_displayName'),
      limit: LIMITS.displayName,
      n: [...displayName].length,
    });
  if (!scope) return role === 'site' ? t('userPickSite') : t('userPickNode');
  if (password !== undefined) {
    if (password.length < LIMITS.passwordMin || password.length > LIMITS.passwordMax)
      return t('chkPasswordLength', { min: LIMITS.passwordMin, max: LIMITS.passwordMax });
    if (password.toLowerCase() === username.toLowerCase()) return t('chkPasswordIsUsername');
    if (password !== confirm) return t('chkPasswordMismatch');
  }
  return '';
}

/** A sentence for a refused request (the server's code in words), for the form to show. */
function refusal(err) {
  return err instanceof ApiError ? err.message : String(err);
}

/** "新建用户": resolves with the created user, or undefined when cancelled. */
export async function createUser() {
  const username = h('input', { name: 'username', autocomplete: 'off', maxLength: LIMITS.username });
  const displayName = h('input', { name: 'displayName', autocomplete: 'off', maxLength: LIMITS.displayName });
  const role = roleSelect('operator', false);
  const scope = scopePicker('operator', '');
  role.addEventListener('change', () => scope.setRole(role.value));
  const password = h('input', {
    type: 'password',
    name: 'new-password',
    autocomplete: 'new-password',
    minLength: LIMITS.passwordMin,
    placeholder: t('newPassword'),
  });
  const confirm = h('input', { type: 'password', name: 'confirm-password', autocomplete: 'new-password' });
  let created;
  const answer = await dialog({
    title: t('userCreate'),
    wide: true,
    okLabel: t('userCreateOk'),
    focus: username,
    body: h(
      'div',
      { class: 'user-form', id: 'user-form' },
      field(t('username'), username, t('userNameHint')),
      field(t('userDisplayName'), displayName, t('userOptional')),
      field(t('colRole'), role),
      scope.el,
      field(t('userInitialPassword'), password, t('userPasswordHint')),
      field(t('userConfirmPassword'), confirm),
    ),
    async submit() {
      const values = {
        username: username.value.trim(),
        displayName: displayName.value.trim(),
        password: password.value,
        confirm: confirm.value,
        role: role.value,
        scope: scope.value(),
      };
      const wrong = problemOf(values, true);
      if (wrong) return wrong;
      try {
        const res = await api('/api/users', {
          method: 'POST',
          body: {
            username: values.username,
            password: values.password,
            role: values.role,
            scope: values.scope,
            ...(values.displayName ? { displayName: values.displayName } : {}),
          },
        });
        created = res.user;
        return undefined;
      } catch (err) {
        return refusal(err);
      }
    },
  });
  return answer ? created : undefined;
}

/**
 * "编辑": display name, role and scope of `user`. Only what changed is sent; a new role or scope
 * signs the user out everywhere (the note says so). An admin's own role and scope are not offered.
 * Resolves with the server's answer `{user, sessionsEnded}`, `{unchanged: true}`, or undefined.
 */
export async function editUser(user, { self = false } = {}) {
  const displayName = h('input', {
    name: 'displayName',
    autocomplete: 'off',
    maxLength: LIMITS.displayName,
    value: user.displayName ?? '',
  });
  const role = roleSelect(user.role, self);
  const scope = scopePicker(user.role, user.scope);
  scope.select.disabled = self;
  const warning = h('p', { class: 'user-form-note' }, self ? t('userOwnRoleFixed') : t('userReseatNote'));
  const update = () =>
    warning.classList.toggle('warn', role.value !== user.role || scope.value() !== user.scope);
  role.addEventListener('change', () => {
    scope.setRole(role.value);
    update();
  });
  scope.select.addEventListener('change', update);
  let result;
  const answer = await dialog({
    title: t('userEditTitle', { user: user.username }),
    wide: true,
    okLabel: t('userSave'),
    note: LIMITS.reason,
    focus: displayName,
    body: h(
      'div',
      { class: 'user-form', id: 'user-form' },
      field(t('userDisplayName'), displayName, t('userOptional')),
      field(t('colRole'), role, undefined, 'new-row'),
      scope.el,
      warning,
    ),
    async submit({ note }) {
      const values = {
        username: user.username,
        displayName: displayName.value.trim(),
        role: role.value,
        scope: scope.value(),
      };
      const wrong = problemOf(values, false);
      if (wrong) return wrong;
      const body = {
        ...(values.displayName !== (user.displayName ?? '') ? { displayName: values.displayName } : {}),
        ...(values.role !== user.role ? { role: values.role } : {}),
        ...(values.scope !== user.scope ? { scope: values.scope } : {}),
      };
      if (Object.keys(body).length === 0) {
        result = { unchanged: true };
        return undefined;
      }
      try {
        result = await api(`/api/users/${encodeURIComponent(user.username)}`, {
          method: 'PATCH',
          body: { ...body, ...(note ? { reason: note } : {}) },
        });
        return undefined;
      } catch (err) {
        return refusal(err);
      }
    },
  });
  return answer ? result : undefined;
}
