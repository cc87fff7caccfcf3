import { AuditLog } from '../audit/audit-log.js';
import { AuthService } from '../auth/auth-service.js';
import { type UserAction, UserAdmin } from '../auth/user-admin.js';
import { Directory } from '../core/directory.js';
import { HttpError } from '../errors.js';
import { openStore } from '../store/open.js';
import { commonOptions, configFrom } from './common.js';

export const userOptions = {
  ...commonOptions,
  username: { type: 'string' },
  reason: { type: 'string' },
} as const;

/** The message of an error of the shared code, as the command line says it (without `http: `). */
export function cliMessage(err: unknown): string {
  return err instanceof Error ? err.message.replace(/^http: /, '') : String(err);
}

/**
 * Opens the data dir's store for a `user …` verb and runs `fn` with the shared user administration
 * (the same code as the admin page, acting as `cli`, audited). A running service notices a change
 * made here at its next session re-check (`auth.sessionCheckSeconds`, 5 s): the user's sockets close.
 */
export async function withUserAdmin<T>(
  values: { config?: string | undefined; 'data-dir'?: string | undefined },
  fn: (admin: UserAdmin) => Promise<T>,
): Promise<T> {
  const { config } = configFrom(values);
  const store = await openStore(config.storage);
  try {
    const auth = new AuthService(store, config.auth);
    return await fn(new UserAdmin(auth, new AuditLog(store.k, store.dialect), new Directory(config)));
  } catch (err) {
    // The shared code speaks HTTP; on the command line the message alone is the answer.
    if (err instanceof HttpError) throw new Error(cliMessage(err));
    throw err;
  } finally {
    await store.close();
  }
}

/** `user disable|enable|revoke --username U [--reason R]`: one change, one line of output. */
export async function applyFromCli(
  values: {
    username?: string | undefined;
    reason?: string | undefined;
    config?: string;
    'data-dir'?: string;
  },
  action: UserAction,
  password?: string,
): Promise<number> {
  if (!values.username) throw new Error('--username is required');
  const username = values.username;
  const res = await withUserAdmin(values, (admin) =>
    admin.apply({ kind: 'cli' }, username, action, {
      ...(password !== undefined ? { password } : {}),
      ...(values.reason ? { reason: values.reason } : {}),
    }),
  );
  const done = {
    disable: 'disabled',
    enable: 'enabled',
    revoke: 'sessions revoked for',
    passwd: 'password changed for',
  }[action];
  const ended = res.sessionsEnded > 0 ? `; ${res.sessionsEnded} session(s) ended` : '';
  process.stdout.write(`${done} user ${res.user.username} (${res.user.role} @ ${res.user.scope})${ended}\n`);
  return 0;
}
