import { parseArgs } from 'node:util';
import { AuditLog } from '../audit/audit-log.js';
import { Access } from '../auth/access.js';
import { AuthService } from '../auth/auth-service.js';
import { Directory } from '../core/directory.js';
import { openStore } from '../store/open.js';
import { ROLES, type Role } from '../store/repositories.js';
import { commonOptions, configFrom, type Verb } from './common.js';

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
    if (password.length < 8) throw new Error('--password must be at least 8 characters');
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
      if (await store.users.findByUsername(username)) throw new Error(`user "${username}" already exists`);
      const auth = new AuthService(store, config.auth);
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
