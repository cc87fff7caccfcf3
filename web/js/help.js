// The "?" overlay listing the keyboard shortcuts.
import { h } from './dom.js';
import { t } from './i18n.js';

const KEYS = [
  ['A', 'keyAck'],
  ['D', 'keyDispatch'],
  ['O', 'keyOnScene'],
  ['R', 'keyResolve'],
  ['F', 'keyFalse'],
  ['J / K', 'keyMove'],
  ['1 / 2 / 3', 'keyTabs'],

  ['Enter', 'keyOpen'],
  ['M', 'keyMute'],
  ['?', 'keyHelp'],
  ['Esc', 'keyEsc'],
];

let box;

export function toggleHelp(force) {
  const show = force ?? !box;
  if (!show) {
    box?.remove();
    box = undefined;
    return;
  }
  if (box) return;
  box = h(
    'div',
    { id: 'help', class: 'help', role: 'dialog', onclick: () => toggleHelp(false) },
    h(
      'div',
      { class: 'dialog' },
      h('h2', {}, t('keysTitle')),
      h(
        'table',
        { class: 'keys' },
        KEYS.map(([k, label]) => h('tr', {}, h('td', {}, h('kbd', {}, k)), h('td', {}, t(label)))),
      ),
    ),
  );
  document.body.append(box);
}

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && box) toggleHelp(false);
});
