// Inline SVG icons: the hall PCs have no emoji font, so pictographs are drawn, not typed.
import { svg } from './dom.js';

const PATHS = {
  bell: 'M12 3a6 6 0 0 0-6 6v4l-2 3h16l-2-3V9a6 6 0 0 0-6-6zm-2 15a2 2 0 0 0 4 0',
  bellOff: 'M12 3a6 6 0 0 0-6 6v4l-2 3h16l-2-3V9a6 6 0 0 0-6-6zm-2 15a2 2 0 0 0 4 0M3 3l18 18',
  check: 'M4 12l5 5L20 6',
  play: 'M7 4l13 8-13 8z',
  download: 'M12 3v12m-5-5l5 5 5-5M4 20h16',
  battery: 'M3 8h15v8H3zM18 11h2v2h-2',
  siren: 'M6 18v-6a6 6 0 0 1 12 0v6M4 18h16v3H4zM12 2v2M3 7l1.5 1M21 7l-1.5 1',
  cross: 'M5 5l14 14M19 5L5 19',
  car: 'M5 16V11l2-5h10l2 5v5M3 16h18v3H3zM7 19v1M17 19v1M5 11h14',
  printer: 'M6 9V3h12v6M6 18H4v-7h16v7h-2M7 14h10v7H7z',
};

export function icon(name, cls = '') {
  return svg(
    'svg',
    { viewBox: '0 0 24 24', class: `icon ${cls}`, 'aria-hidden': 'true' },
    svg('path', {
      d: PATHS[name] ?? '',
      fill: name === 'play' ? 'currentColor' : 'none',
      stroke: 'currentColor',
      'stroke-width': 2,
      'stroke-linecap': 'round',
      'stroke-linejoin': 'round',
    }),
  );
}
