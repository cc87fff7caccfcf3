import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ZodError, type z } from 'zod';
import type { AuthService, AuthSession } from '../auth/auth-service.js';
import { errorMessage, HttpError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Role, User } from '../store/repositories.js';
import { authenticate, headerToken } from './authenticate.js';
import { clientErrorOf } from './body-errors.js';
import { detailsOf, validationError } from './validation-errors.js';

declare global {
  namespace Express {
    interface Request {
      user?: User;
      /** The session the request proved (issue 15: bound media URLs, logout, socket watch). */
      authSession?: AuthSession;
    }
  }
}

/** The session token of the Authorization header; never the query string (issue 15). */
export function bearerToken(req: Request): string | undefined {
  return headerToken(req);
}

/**
 * Rejects with 401 unless the request carries a live session token in `Authorization: Bearer`, or
 * is a GET of a media path with a valid signed media URL (src/api/authenticate.ts).
 */
export function requireUser(auth: AuthService): RequestHandler {
  return async (req, _res, next) => {
    try {
      const session = await authenticate(auth, req);
      req.user = session.user;
      req.authSession = session;
      next();
    } catch (err) {
      next(err);
    }
  };
}

export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.user || !roles.includes(req.user.role)) {
      return next(new HttpError(403, 'forbidden', `this needs one of the roles ${roles.join(', ')}`));
    }
    next();
  };
}

export function userOf(req: Request): User {
  if (!req.user) throw new HttpError(401, 'unauthenticated', 'a valid Bearer token is required');
  return req.user;
}

/** Parses with a zod schema; a failure is a 400 naming each bad field, with `details` a client translates. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.infer<S> {
  const res = schema.safeParse(value);
  if (!res.success) throw validationError(res.error, what, value);
  return res.data;
}

/** Wraps an async handler so its rejection reaches the error handler. */
export function route(fn: (req: Request, res: Response) => Promise<unknown> | unknown): RequestHandler {
  return (req, res, next) => {
    Promise.resolve()
      .then(() => fn(req, res))
      .catch(next);
  };
}

export function errorHandler(log: Logger, onError?: (status: number, code: string, req: Request) => void) {
  return (thrown: unknown, req: Request, res: Response, _next: NextFunction) => {
    // Bad input the HTTP plumbing rejected (body size, charset, encoding, %ZZ) is a 4xx, not a fault.
    let err = clientErrorOf(thrown) ?? thrown;
    let status = 500;
    let code = 'internal';
    let message = 'internal error';
    let data: Record<string, unknown> | undefined;
    let details: unknown;
    if (err instanceof ZodError) err = validationError(err, 'body');
    if (err instanceof HttpError) {
      ({ status, code } = err);
      message = err.message.replace(/^http: /, '');
      const lifted = detailsOf(err.data);
      details = lifted.details;
      data = Object.keys(lifted.rest).length > 0 ? lifted.rest : undefined;
    } else if (err instanceof SyntaxError && 'body' in err) {
      status = 400;
      code = 'bad_json';
      message = 'request body is not valid JSON';
    } else {
      // A fault of ours: the stack goes to the log under a reference; the client gets only the reference,
      // not the internal message (a SQL error, a file path).
      const reference = randomUUID().slice(0, 8);
      log.error({ err, path: req.path, reference, detail: errorMessage(err) }, 'api: unhandled error');
      message = `internal error (reference ${reference} in the service log)`;
    }
    onError?.(status, code, req);
    if (res.headersSent) return;
    const retry = data?.['retryAfterSeconds'];
    if (status === 429 && typeof retry === 'number') res.setHeader('retry-after', String(retry));
    res.status(status).json({
      error: { code, message, ...(details !== undefined ? { details } : {}), ...(data ? { data } : {}) },
    });
  };
}
