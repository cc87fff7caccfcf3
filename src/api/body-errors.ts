import type { IncomingMessage } from 'node:http';
import { HttpError } from '../errors.js';

/** What body-parser (http-errors `type`) and the router (a URIError) reject, as our error codes. */
const BY_TYPE: Record<string, { code: string; message: (e: ClientError) => string }> = {
  'entity.too.large': {
    code: 'body_too_large',
    message: (e) =>
      `the request body is larger than ${e.limit ? `${Math.round(e.limit / 1024)} KiB` : 'allowed'}`,
  },
  'entity.parse.failed': { code: 'bad_json', message: () => 'the request body is not valid JSON' },
  'charset.unsupported': {
    code: 'unsupported_charset',
    message: (e) => `charset ${e.charset ?? ''} is not supported: send JSON as UTF-8`.replace('  ', ' '),
  },
  'encoding.unsupported': {
    code: 'unsupported_encoding',
    message: (e) =>
      `Content-Encoding ${e.encoding ?? ''} is not supported: send the body plain, gzip, deflate or br`.replace(
        '  ',
        ' ',
      ),
  },
  'request.aborted': {
    code: 'request_aborted',
    message: () => 'the client closed the request before the body arrived',
  },
  'request.size.invalid': {
    code: 'bad_content_length',
    message: () => 'the body is not as long as its Content-Length says',
  },
  'parameters.too.many': { code: 'too_many_parameters', message: () => 'the body has too many parameters' },
  'stream.encoding.set': { code: 'bad_request', message: () => 'the request body could not be read' },
  'stream.not.readable': { code: 'bad_request', message: () => 'the request body could not be read' },
};

interface ClientError {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  limit?: number;
  charset?: string;
  encoding?: string;
  code?: unknown;
  message?: unknown;
}

function statusOf(e: ClientError): number | undefined {
  const s =
    typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  return s !== undefined && s >= 400 && s < 500 ? s : undefined;
}

/**
 * Turns what the HTTP plumbing throws for bad input — body-parser's http-errors (size, charset,
 * Content-Encoding, JSON, aborts), a decompression failure of a body that was not really gzip or br,
 * the router's URIError for a malformed percent-escape in a path parameter (`%ZZ`), serve-static's
 * 400 for the same in a file path — into a 4xx `HttpError` with a code a client can act on.
 * Anything else is `undefined`: a real fault, which stays a 500 and is logged with its stack.
 */
export function clientErrorOf(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as ClientError;
  const status = statusOf(e);
  if (err instanceof URIError || (status === 400 && /decode param/i.test(String(e.message ?? ''))))
    return new HttpError(400, 'bad_url_encoding', 'the URL has a malformed percent-escape (such as %ZZ)');
  // zlib's own errors (Z_DATA_ERROR, Z_BUF_ERROR...) when a body claims gzip/deflate/br and is not.
  if (typeof e.code === 'string' && /^(Z_|ERR_ZLIB|ERR__ZLIB|ERR_BROTLI)/.test(e.code))
    return new HttpError(
      400,
      'bad_encoding',
      'the body does not match its Content-Encoding: it could not be decompressed',
    );
  if (status === undefined) return undefined;
  const known = typeof e.type === 'string' ? BY_TYPE[e.type] : undefined;
  if (known) return new HttpError(status, known.code, known.message(e));
  if (
    status === 400 &&
    /incorrect header check|invalid|unexpected end of file|decompress/i.test(String(e.message ?? ''))
  )
    return new HttpError(
      400,
      'bad_encoding',
      'the body does not match its Content-Encoding: it could not be decompressed',
    );
  if (status === 404) return new HttpError(404, 'not_found', 'no such file');
  return new HttpError(
    status,
    status === 413 ? 'body_too_large' : 'bad_request',
    'the request could not be read',
  );
}

const JSON_TYPE = /^\s*application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/**
 * JSON bodies in UTF-8 only (RFC 8259 §8.1), before the JSON parser. body-parser also decodes UTF-7,
 * UTF-16 and UTF-32: a UTF-7 body reads as plain JSON to the parser while carrying what a UTF-8
 * reader of the same bytes (a log, a proxy's filter) never sees. Any other charset is a 415
 * `unsupported_charset`, as latin1 always was.
 */
export function utf8JsonOnly(): (req: IncomingMessage, res: unknown, next: (err?: unknown) => void) => void {
  return (req, _res, next) => {
    const type = req.headers['content-type'];
    if (!type || !JSON_TYPE.test(type)) return next();
    const charset = CHARSET.exec(type)?.[1]?.toLowerCase();
    if (charset === undefined || charset === 'utf-8' || charset === 'utf8') return next();
    next(
      new HttpError(415, 'unsupported_charset', `charset ${charset} is not supported: send JSON as UTF-8`),
    );
  };
}
