// The video wall. The live part of the service owns the wall itself (web/live/): this page embeds
// its module or page when present, and otherwise shows a simple grid of the cameras in scope
// (live through the player module when it exists, else periodic snapshots).
import { getToken } from './api.js';
import { fill, h } from './dom.js';
import { t } from './i18n.js';
import { liveTile } from './live.js';
import { siteName, state } from './state.js';

const LAYOUT_KEY = 'sharpeyes.wallLayout';

async function exists(url, type) {
  try {
    const res = await fetch(url, { method: 'HEAD' });
    return res.ok && (res.headers.get('content-type') ?? '').includes(type);
  } catch {
    return false;
  }
}

export function mount(root) {
  let dead = false;
  let cleanup = () => {};
  const page = h('div', { class: 'wall-view', id: 'wall-view' });
  root.append(page);

  void (async () => {
    if (await exists('/live/wall.js', 'javascript')) {
      if (!document.querySelector('link[href="/live/wall.css"]'))
        document.head.append(h('link', { rel: 'stylesheet', href: '/live/wall.css' }));
      try {
        const mod = await import('/live/wall.js');
        const fn = mod.mountWall ?? mod.mount ?? mod.default;
        if (!dead && typeof fn === 'function') {
          const stop = await fn(page, { token: getToken() });
          cleanup = typeof stop === 'function' ? stop : (stop?.destroy?.bind(stop) ?? (() => {}));
          return;
        }
      } catch (err) {
        console.warn('console: live wall module failed; using the fallback grid', err);
      }
    }
    if (dead) return;
    if (await exists('/live/wall.html', 'html')) {
      fill(page, h('iframe', { src: '/live/wall.html', class: 'wall-frame', title: t('wallTitle') }));
      return;
    }
    cleanup = fallbackGrid(page);
  })();

  return () => {
    dead = true;
    cleanup();
  };
}

function fallbackGrid(page) {
  let n = Number(localStorage.getItem(LAYOUT_KEY)) || 4;
  let tiles = [];
  const grid = h('div', { class: 'wall-grid' });
  const bar = h('div', { class: 'wall-bar' });
  const render = () => {
    for (const x of tiles) x.destroy();
    const cams = state.cameras.slice(0, n);
    tiles = cams.map((c) => liveTile({ ...c, name: `${c.name ?? c.id} · ${siteName(c.site)}` }));
    grid.className = `wall-grid g${n}`;
    fill(grid, ...(tiles.length > 0 ? tiles.map((x) => x.el) : [h('div', { class: 'empty' }, t('noData'))]));
    fill(
      bar,
      h('span', { class: 'muted' }, t('wallFallback')),
      ...[1, 4, 9, 16].map((k) =>
        h(
          'button',
          {
            type: 'button',
            class: k === n ? 'tab active' : 'tab',
            onclick: () => {
              n = k;
              localStorage.setItem(LAYOUT_KEY, String(k));
              render();
            },
          },
          String(k),
        ),
      ),
    );
  };
  fill(page, bar, grid);
  render();
  return () => {
    for (const x of tiles) x.destroy();
  };
}
