import type { Verb } from './cli/common.js';
import { ConfigError } from './config/load.js';

/**
 * Every verb of `sharpeyes`; a verb of two words ("user add") is matched on both. Each is imported
 * only when used: `start` pulls in the whole service, and `doctor` must answer in a blink.
 */
const VERBS: { name: string; load: () => Promise<Verb> }[] = [
  { name: 'start', load: async () => (await import('./cli/start.js')).startVerb },
  { name: 'user add', load: async () => (await import('./cli/user-add.js')).userAddVerb },
  // Issue 15: user administration (the admin users page runs the same code).
  { name: 'user list', load: async () => (await import('./cli/user-list.js')).userListVerb },
  { name: 'user disable', load: async () => (await import('./cli/user-disable.js')).userDisableVerb },
  { name: 'user enable', load: async () => (await import('./cli/user-disable.js')).userEnableVerb },
  { name: 'user passwd', load: async () => (await import('./cli/user-passwd.js')).userPasswdVerb },
  { name: 'user revoke', load: async () => (await import('./cli/user-revoke.js')).userRevokeVerb },
  { name: 'verify', load: async () => (await import('./cli/verify.js')).verifyVerb },
  { name: 'detect', load: async () => (await import('./cli/detect.js')).detectVerb },
  { name: 'plate', load: async () => (await import('./cli/plate.js')).plateVerb },
  { name: 'audit verify', load: async () => (await import('./cli/audit-verify.js')).auditVerifyVerb },
  { name: 'simulate panel', load: async () => (await import('./cli/simulate-panel.js')).simulatePanelVerb },
  {
    name: 'simulate camera',
    load: async () => (await import('./cli/simulate-camera.js')).simulateCameraVerb,
  },
  { name: 'doctor', load: async () => (await import('./cli/doctor.js')).doctorVerb },
];

/** The words before the first option: what the user meant as the verb. */
function leadingWords(args: string[]): string[] {
  const i = args.findIndex((a) => a.startsWith('-'));
  return i === -1 ? args : args.slice(0, i);
}

async function help(): Promise<string> {
  const verbs = await Promise.all(VERBS.map((v) => v.load()));
  return [
    'usage: sharpeyes <verb> [options]',
    '',
    ...verbs.map((v) => `  ${v.usage}\n      ${v.summary}`),
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const args = argv.length === 0 ? ['start'] : argv;
  if (args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    process.stdout.write(await help());
    return 0;
  }
  const entry = VERBS.find((v) => {
    const words = v.name.split(' ');
    return words.every((w, i) => args[i] === w);
  });
  if (!entry) {
    process.stderr.write(
      `sharpeyes: unknown verb "${leadingWords(args).slice(0, 2).join(' ')}"\n\n${await help()}`,
    );
    return 2;
  }
  const verb = await entry.load();
  const rest = args.slice(verb.name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`usage: sharpeyes ${verb.usage}\n  ${verb.summary}\n`);
    return 0;
  }
  try {
    return await verb.run(rest);
  } catch (err) {
    const msg = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`sharpeyes ${verb.name}: ${msg}\n`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sharpeyes: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
