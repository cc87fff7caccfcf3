import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ZodError, type z } from 'zod';
import type { AuthService } from '../auth/auth-service.js';
import { errorMessage, HttpError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Role, User } from '../store/repositories.js';

declare global {
  namespace Express {
    interface Request {
      user?: User;
    }
  }
}

export function bearerToken(req: Request): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  const q = req.query['token'];
  return typeof q === 'string' ? q : undefined;
}

/** Rejects with 401 unless the request carries a live session token. */
export function requireUser(auth: AuthService): RequestHandler {
  return async (req, _res, next) => {
    try {
      const user = await auth.resolve(bearerToken(req));
      if (!user) throw new HttpError(401, 'unauthenticated', 'a valid Bearer token is required');
      req.user = user;
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

/** Parses with a zod schema; a failure is a 400 naming each bad field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.infer<S> {
  const res = schema.safeParse(value);
  if (!res.success) {
    const issues = res.error.issues.map((i) => `${[what, ...i.path].join('.')}: ${i.message}`);
    throw new HttpError(400, 'bad_request', issues.join('; '), { issues });
  }
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

export function errorHandler(log: Logger, onError?: (status: number, code: string) => void) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let status = 500;
    let code = 'internal';
    let message = 'internal error';
    let data: Record<string, unknown> | undefined;
    if (err instanceof HttpError) {
      ({ status, code } = err);
      message = err.message.replace(/^http: /, '');
      data = Object.keys(err.data).length > 0 ? err.data : undefined;
    } else if (err instanceof ZodError) {
      status = 400;
      code = 'bad_request';
      message = err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    } else if (err instanceof SyntaxError && 'body' in err) {
      status = 400;
      code = 'bad_json';
      message = 'request body is not valid JSON';
    } else {
      log.error({ err, path: req.path }, 'api: unhandled error');
      message = errorMessage(err);
    }
    onError?.(status, code);
    if (res.headersSent) return;
    res.status(status).json({ error: { code, message, ...(data ? { data } : {}) } });
  };
}
