import { parseArgs } from 'node:util';
import { commonOptions, type Verb } from './common.js';
import { withUserAdmin } from './user-common.js';

const col = (s: string, n: number) => (s.length >= n ? `${s.slice(0, n - 1)} ` : s.padEnd(n));

export const userListVerb: Verb = {
  name: 'user list',
  summary: 'list console users: role, scope, enabled or disabled, live sessions, last login',
  usage: 'user list [--json]',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { ...commonOptions, json: { type: 'boolean' } },
      strict: true,
    });
    const users = await withUserAdmin(values, (admin) => admin.list({ kind: 'cli' }));
    if (values.json) {
      process.stdout.write(`${JSON.stringify(users, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(
      `${col('USERNAME', 20)}${col('ROLE', 14)}${col('SCOPE', 22)}${col('STATE', 10)}${col('SESSIONS', 10)}LAST LOGIN\n`,
    );
    for (const u of users)
      process.stdout.write(
        `${col(u.username, 20)}${col(u.role, 14)}${col(u.scope, 22)}${col(u.disabled ? 'disabled' : 'enabled', 10)}${col(String(u.sessions), 10)}${u.lastLoginAt ?? '-'}\n`,
      );
    return 0;
  },
};
