import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import express, { type ErrorRequestHandler, type RequestHandler, Router } from 'express';

const require = createRequire(import.meta.url);

/** The `dist` folder of an installed package, found the way Node finds the package itself. */
function distOf(pkg: string): string {
  return join(dirname(require.resolve(`${pkg}/package.json`)), 'dist');
}

/**
 * Browser libraries the console loads, served from the installed packages (the hall has no CDN):
 * `/vendor/leaflet/` and `/vendor/leaflet.markercluster/`. Versions are the lockfile's.
 */
export function vendorRoutes(): Router {
  const r = Router();
  const opts = { maxAge: '1d', fallthrough: false, index: false } as const;
  r.use('/vendor/leaflet', express.static(distOf('leaflet'), opts));
  r.use('/vendor/leaflet.markercluster', express.static(distOf('leaflet.markercluster'), opts));
  // A file the package does not have is a plain 404 (serve-static reports it as an error).
  r.use('/vendor', ((err, _req, res, next) => {
    const status = (err as { status?: number }).status;
    if (status === 404 || status === 403) res.status(status).type('text/plain').send('not found');
    else next(err);
  }) as ErrorRequestHandler);

  // Browsers ask for /favicon.ico whatever the page links; the icon is an SVG.
  r.get('/favicon.ico', (_req, res) => res.redirect(301, '/favicon.svg'));
  return r;
}

/** Paths the console page never serves: APIs, sockets, metrics and the vendor mounts answer themselves. */
const NOT_PAGES = /^\/(api|socket\.io|metrics|vendor|live\/[^/.]+$)(\/|$)/;

/**
 * A GET for a path that is not a file of the console gets the console's not-found page (404, with
 * a way back), instead of Express's bare "Cannot GET". Runs before the static files are mounted
 * (the listen module mounts them last), so it checks the file itself, inside `root` only.
 */
export function notFoundPage(root: string): RequestHandler {
  const base = resolve(root);
  const page = join(base, '404.html');
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_PAGES.test(req.path)) return next();
    let file: string;
    try {
      file = resolve(base, `.${decodeURIComponent(req.path)}`);
    } catch {
      // A malformed escape (`%E0%A4%A`) names no file: it is a page that does not exist.
      file = '';
    }
    if (file === base || file.startsWith(base + sep)) {
      const target = existsSync(file) && statSync(file).isDirectory() ? join(file, 'index.html') : file;
      if (existsSync(target)) return next();
    }
    res.status(404).type('html').sendFile(page);
  };
}
