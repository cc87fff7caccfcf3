import { parseArgs } from 'node:util';
import type { Verb } from './common.js';
import { applyFromCli, userOptions } from './user-common.js';

/** The first line of standard input (a password piped in stays out of `ps` and shell history). */
async function firstLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

export const userPasswdVerb: Verb = {
  name: 'user passwd',
  summary: 'set a new password for a console user and end their sessions (audited)',
  usage: 'user passwd --username U (--password-stdin | --password P) [--reason TEXT]',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { ...userOptions, password: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
      strict: true,
    });
    if ((values.password === undefined) === (values['password-stdin'] !== true))
      throw new Error('give the new password with exactly one of --password-stdin and --password');
    const password = values.password ?? (await firstLine());
    return applyFromCli(values, 'passwd', password);
  },
};
