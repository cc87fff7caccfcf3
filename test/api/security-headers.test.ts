import { describe, expect, it } from 'vitest';
import { cspFor, DEFAULT_CSP } from '../../src/api/security-headers.js';

const directive = (csp: string, name: string) =>
  csp
    .split('; ')
    .find((d) => d.startsWith(`${name} `))
    ?.slice(name.length + 1);

describe('the console Content-Security-Policy', () => {
  it('allows scripts and style elements from this origin only, style attributes for the map', () => {
    expect(directive(DEFAULT_CSP, 'script-src')).toBe("'self'");
    expect(directive(DEFAULT_CSP, 'style-src')).toBe("'self'");
    expect(directive(DEFAULT_CSP, 'style-src-attr')).toBe("'unsafe-inline'");
  });

  it.each([
    ['http://gis.intranet/tiles/{z}/{x}/{y}.png', "img-src 'self' data: blob: http://gis.intranet"],
    ['https://10.1.2.3:8443/wmts/{z}/{y}/{x}.jpg', "img-src 'self' data: blob: https://10.1.2.3:8443"],
  ])('adds the tile server of %s to img-src only', (tiles, img) => {
    const csp = cspFor(tiles);
    expect(`img-src ${directive(csp, 'img-src')}`).toBe(img);
    expect(directive(csp, 'connect-src')).toBe("'self'");
    expect(directive(csp, 'script-src')).toBe("'self'");
  });

  it('without a tile server is the default policy', () => {
    expect(cspFor(undefined)).toBe(DEFAULT_CSP);
  });
});
