// A tiny element builder: h('div', {class: 'x', onclick: fn}, child, 'text').
export function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'text') el.textContent = String(v);
    else if (k in el && !tag.startsWith('svg:') && k !== 'list') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function svg(tag, attrs = {}, ...children) {
  return h(`svg:${tag}`, attrs, ...children);
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** A short message at the bottom of the screen; errors stay longer. */
export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  if (!box) return;
  const el = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  box.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}

/** `el.replaceChildren` that skips null/false children (which the DOM would print as text). */
export function fill(el, ...children) {
  if (!el) return el;
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * Makes `el`'s children exactly `children`, touching only what moved: an element already in place
 * stays (no re-layout of a long list when one row is added on top), the others are inserted, and
 * the children left over are removed.
 */
export function reconcile(el, children) {
  let i = 0;
  for (const child of children) {
    const at = el.children[i];
    if (at !== child) el.insertBefore(child, at ?? null);
    i += 1;
  }
  while (el.children.length > i) el.lastElementChild.remove();
  return el;
}
