import { parseArgs } from 'node:util';
import { Access } from '../auth/access.js';
import { checkPassword, usernameProblem } from '../auth/user-admin.js';
import { Directory } from '../core/directory.js';
import { ROLES, type Role } from '../store/repositories.js';
import { commonOptions, configFrom, type Verb } from './common.js';
import { cliMessage, withUserAdmin } from './user-common.js';

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
    // The admin page's code (src/auth/user-admin.ts): its duplicate check (also in another case),
    // its insert that loses a race to another admin as a 409, its audit row.
    const user = await withUserAdmin(values, (admin) =>
      admin.create(
        { kind: 'cli' },
        { username, password, role: role as Role, scope, displayName: values.name },
      ),
    );
    process.stdout.write(`created user ${user.username} (${user.role} @ ${user.scope})\n`);
    return 0;
  },
};
