import { parseArgs } from 'node:util';
import type { Verb } from './common.js';
import { applyFromCli, userOptions } from './user-common.js';

export const userRevokeVerb: Verb = {
  name: 'user revoke',
  summary: 'end every session of a console user (a lost laptop); they can log in again (audited)',
  usage: 'user revoke --username U [--reason TEXT]',
  async run(args) {
    const { values } = parseArgs({ args, options: userOptions, strict: true });
    return applyFromCli(values, 'revoke');
  },
};
