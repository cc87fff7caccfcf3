// The standalone wall page (/live/wall.html): mounts the wall with the console's session, or says
// how to get one. A module file rather than an inline script, so the page runs under the console's
// Content-Security-Policy (script-src 'self', no inline code).
import { getLang, t } from '/js/i18n.js';
import { mountWall } from './wall.js';

const root = document.getElementById('wall');
const token = localStorage.getItem('sharpeyes.token');
document.documentElement.lang = getLang();
document.title = `${t('wallTitle')} · Sharpeyes`;
if (!token) {
  const p = document.createElement('p');
  p.className = 'live-login';
  const a = document.createElement('a');
  a.href = '/';
  a.textContent = t('wallSignIn');
  p.append(a);
  root.replaceChildren(p);
} else {
  mountWall(root, { token }).catch((err) => {
    console.error('wall: could not start', err);
    root.textContent = t('wallFailed');
    root.className = 'live-login';
  });
}
