import { parseArgs } from 'node:util';
import type { Verb } from './common.js';
import { applyFromCli, userOptions } from './user-common.js';

/** Disabling ends every session of the user at once; their open consoles close within seconds. */
export const userDisableVerb: Verb = {
  name: 'user disable',
  summary: 'disable a console user and end all their sessions (audited)',
  usage: 'user disable --username U [--reason TEXT]',
  async run(args) {
    const { values } = parseArgs({ args, options: userOptions, strict: true });
    return applyFromCli(values, 'disable');
  },
};

export const userEnableVerb: Verb = {
  name: 'user enable',
  summary: 'enable a disabled console user again (audited)',
  usage: 'user enable --username U [--reason TEXT]',
  async run(args) {
    const { values } = parseArgs({ args, options: userOptions, strict: true });
    return applyFromCli(values, 'enable');
  },
};
