import { auditVerifyVerb } from './cli/audit-verify.js';
import type { Verb } from './cli/common.js';
import { detectVerb } from './cli/detect.js';
import { plateVerb } from './cli/plate.js';
import { simulateCameraVerb } from './cli/simulate-camera.js';
import { simulatePanelVerb } from './cli/simulate-panel.js';
import { startVerb } from './cli/start.js';
import { userAddVerb } from './cli/user-add.js';
import { verifyVerb } from './cli/verify.js';
import { ConfigError } from './config/load.js';

/** Every verb of `sharpeyes`; a verb of two words ("user add") is matched on both. */
const VERBS: Verb[] = [
  startVerb,
  userAddVerb,
  verifyVerb,
  detectVerb,
  plateVerb,
  auditVerifyVerb,
  simulatePanelVerb,
  simulateCameraVerb,
];

/** The words before the first option: what the user meant as the verb. */
function leadingWords(args: string[]): string[] {
  const i = args.findIndex((a) => a.startsWith('-'));
  return i === -1 ? args : args.slice(0, i);
}

function help(): string {
  return [
    'usage: sharpeyes <verb> [options]',
    '',
    ...VERBS.map((v) => `  ${v.usage}\n      ${v.summary}`),
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const args = argv.length === 0 ? ['start'] : argv;
  if (args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    process.stdout.write(help());
    return 0;
  }
  const verb = VERBS.find((v) => {
    const words = v.name.split(' ');
    return words.every((w, i) => args[i] === w);
  });
  if (!verb) {
    process.stderr.write(
      `sharpeyes: unknown verb "${leadingWords(args).slice(0, 2).join(' ')}"\n\n${help()}`,
    );
    return 2;
  }
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
