import type { RequestHandler } from 'express';

/**
 * The console's Content-Security-Policy: every script, style, image, video and connection from this
 * origin only (live video over same-origin ws:/wss:, which CSP3 'self' covers), no inline script
 * or style elements, no plugins, no framing, no <base> tricks, forms post only here. `blob:` is for MSE
 * video and object URLs of snapshots; `data:` for small inline images and fonts. Style attributes are
 * allowed: Leaflet places its panes, tiles and markers with them, and a style attribute runs no script.
 * The map's tile server, when the config names one, is added to `img-src` (`cspFor`).
 */
export const DEFAULT_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The default policy, with the origin of the map's tile server (an intranet GIS) allowed for images. */
export function cspFor(tiles: string | undefined): string {
  if (!tiles) return DEFAULT_CSP;
  let origin: string;
  try {
    origin = new URL(tiles.replace(/\{[a-z]\}/g, '0')).origin;
  } catch {
    return DEFAULT_CSP; // the map config is validated at start; a bad template shows no tiles
  }
  return DEFAULT_CSP.replace("img-src 'self' data: blob:", `img-src 'self' data: blob: ${origin}`);
}

/**
 * The usual headers on every answer: CSP, no MIME sniffing, no Referer (a URL never carries a
 * session token any more, but a signed media URL still should not travel), no framing, isolation
 * from other origins' windows and resources, no camera/microphone/location for the page, HSTS on
 * HTTPS, and `no-store` on API answers (incidents and footage must not sit in a shared cache).
 */
export function securityHeaders(opts: { tls: boolean; csp?: string | undefined }): RequestHandler {
  const fixed: [string, string][] = [
    ['content-security-policy', opts.csp ?? DEFAULT_CSP],
    ['x-content-type-options', 'nosniff'],
    ['referrer-policy', 'no-referrer'],
    ['x-frame-options', 'DENY'],
    ['cross-origin-opener-policy', 'same-origin'],
    ['cross-origin-resource-policy', 'same-origin'],
    ['permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()'],
  ];
  if (opts.tls) fixed.push(['strict-transport-security', 'max-age=31536000']);
  return (req, res, next) => {
    for (const [k, v] of fixed) res.setHeader(k, v);
    if (req.path.startsWith('/api/') || req.path === '/metrics') res.setHeader('cache-control', 'no-store');
    next();
  };
}
