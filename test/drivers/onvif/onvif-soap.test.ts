import { describe, expect, it } from 'vitest';
import { passwordDigest, usernameToken } from '../../../drivers/onvif/onvif-soap.js';
import { parseXml, path, text } from '../../../drivers/onvif/onvif-xml.js';
import { authorization } from '../../../drivers/rtsp/rtsp-probe.js';

// Vectors computed independently (Python hashlib/base64), not with the code under test.
const NONCE = Buffer.from(Array.from({ length: 16 }, (_, i) => i));

describe('WS-Security UsernameToken', () => {
  it('digest = Base64(SHA-1(nonce + created + password))', () => {
    expect(passwordDigest(NONCE, '2024-03-01T10:00:00Z', 'cam-pass-1')).toBe('/0bfwlczMWS22ZZPRUO21R7N/Yk=');
  });

  it('the header carries user, digest, nonce and a whole-second Created in the given clock', () => {
    const xml = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>${usernameToken(
      { username: 'admin', password: 'cam-pass-1' },
      new Date('2024-03-01T10:00:00.789Z'),
      NONCE,
    )}</s:Header></s:Envelope>`;
    const tok = path(parseXml(xml), 'Envelope', 'Header', 'Security', 'UsernameToken');
    expect(text(tok, 'Username')).toBe('admin');
    expect(text(tok, 'Created')).toBe('2024-03-01T10:00:00Z');
    expect(text(tok, 'Nonce')).toBe('AAECAwQFBgcICQoLDA0ODw==');
    expect(text(tok, 'Password')).toBe('/0bfwlczMWS22ZZPRUO21R7N/Yk=');
  });

  it('escapes a user name that would break the XML', () => {
    const header = usernameToken({ username: 'a<b&c', password: 'x' }, new Date(0), NONCE);
    expect(header).toContain('<wsse:Username>a&lt;b&amp;c</wsse:Username>');
  });
});

describe('RTSP digest (RFC 2069, as Hikvision/Dahua cameras ask)', () => {
  it.each([
    [
      'Digest realm="IP Camera(C8842)", nonce="4e6a59794d7a4d324e7a6b3a3164316662613537", stale="FALSE"',
      'response="7251179a87d556f337fc587c183d040f"',
    ],
    ['Basic realm="/"', 'Basic YWRtaW46MTIzNDU='],
  ])('%s', (challenge, want) => {
    const h = authorization(
      challenge,
      'DESCRIBE',
      'rtsp://10.0.0.5:554/Streaming/Channels/101',
      'admin',
      '12345',
    );
    expect(h).toContain(want);
  });
});
