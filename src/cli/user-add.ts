import { parseArgs } from 'node:util';
import { AuditLog } from '../audit/audit-log.js';
import { Access } from '../auth/access.js';
import { AuthService } from '../auth/auth-service.js';
import { checkPassword, usernameProblem } from '../auth/user-admin.js';
import { Directory } from '../core/directory.js';
import { openStore } from '../store/open.js';
import { ROLES, type Role } from '../store/repositories.js';
import { commonOptions, configFrom, type Verb } from './common.js';
import { cliMessage } from './user-common.js';

export const userAddVerb: Verb = {
  name: 'user add',
  summary: 'create a console user',
  usage:
    'user add --username U --password P --role admin|supervisor|operator|investigator|site --scope NODE_OR_SITE',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        ...commonOptions,
        username: { type: 'string' },
        password: { type: 'string' },
        role: { type: 'string' },
        scope: { type: 'string' },
        name: { type: 'string' },
      },
      strict: true,
    });
    const { username, password, role, scope } = values;
    if (!username || !password || !role || !scope)
      throw new Error('--username, --password, --role and --scope are all required');
    if (!ROLES.includes(role as Role))
      throw new Error(`--role must be one of ${ROLES.join(', ')}; got "${role}"`);
    // The same rules as the admin page's (POST /api/users).
    const shape = usernameProblem(username);
    if (shape) throw new Error(`--username: ${shape}`);
    try {
      checkPassword(password, username);
    } catch (err) {
      throw new Error(`--password: ${cliMessage(err)}`);
    }
    const { config } = configFrom(values);
    const access = new Access(new Directory(config));
    if (!access.validScope(role as Role, scope)) {
      throw new Error(
        role === 'site'
          ? `--scope "${scope}" is not a site in the config`
          : `--scope "${scope}" is not a jurisdiction node in the config`,
      );
    }
    const store = await openStore(config.storage);
    try {
      const auth = new AuthService(store, config.auth);
      // Also in another case: "Wang" and "wang" log in alike to a person.
      const taken = await auth.store.usernameLike(username);
      if (taken !== undefined) throw new Error(`user "${taken}" already exists`);
      const user = await auth.createUser({
        username,
        password,
        role: role as Role,
        scope,
        ...(values.name ? { displayName: values.name } : {}),
      });
      await new AuditLog(store.k, store.dialect).append({
        actor: 'cli',
        action: 'user.add',
        target: `user:${username}`,
        detail: { role, scope },
      });
      process.stdout.write(`created user ${user.username} (${user.role} @ ${user.scope})\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
