// The camera tree (jurisdiction → site → camera) beside the wall. Cameras are dragged onto tiles
// (or double-clicked to take the first empty tile).
import { t } from '../js/i18n.js';

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Renders GET /api/live/tree into `root`; `onPick(cameraId)` on double-click. */
export function renderTree(root, tree, { onPick } = {}) {
  root.replaceChildren();
  const list = el('ul', 'live-tree');
  const add = (node, parent) => {
    const li = el('li', `live-tree-${node.kind}`);
    if (node.kind === 'camera') {
      const cam = el('span', 'live-tree-camera-name', node.name);
      cam.draggable = true;
      cam.dataset.camera = node.id;
      cam.title = t('wallTreeHint');
      cam.addEventListener('dragstart', (ev) => {
        ev.dataTransfer.setData('text/x-sharpeyes-camera', node.id);
        ev.dataTransfer.effectAllowed = 'copy';
      });
      cam.addEventListener('dblclick', () => onPick?.(node.id));
      li.append(cam);
    } else {
      const details = el('details');
      details.open = true;
      details.append(el('summary', '', node.name));
      const ul = el('ul');
      for (const c of node.children) add(c, ul);
      details.append(ul);
      li.append(details);
    }
    parent.append(li);
  };
  for (const r of tree.roots ?? []) add(r, list);
  if (!tree.roots?.length) list.append(el('li', 'live-tree-none', t('wallNoCameras')));
  root.append(list);
}
