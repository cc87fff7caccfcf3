// Who acted, as officers speak of them: by name. A view that names people carries `people`
// ({username: displayName}, README "Who acted, by name"); a user without a display name, or one
// no longer there, is shown by their login. The login stays on hover for the record.
import { h } from './dom.js';
import { t } from './i18n.js';

/** The name to show for `username`; the login when `people` has none. */
export function personName(people, username) {
  return people?.[username] ?? username;
}

/** The hover text that keeps the login beside a name, or undefined when the name is the login. */
export function personTitle(people, username) {
  const name = people?.[username];
  return name && name !== username ? t('personLogin', { user: username }) : undefined;
}

/** A person in a line: their name, the login on hover (`data-user` for tests and styles). */
export function personEl(people, username, attrs = {}) {
  return h(
    'span',
    { class: 'person', title: personTitle(people, username), dataset: { user: username }, ...attrs },
    personName(people, username),
  );
}
