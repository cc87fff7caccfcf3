import { parseArgs } from 'node:util';
import { missingPackages, runDoctor } from '../doctor/doctor.js';
import { checkUsers, sameNameLine, type UsersCheck } from '../doctor/same-names.js';
import { commonOptions, configFrom, type Verb } from './common.js';

/**
 * `sharpeyes doctor`: every external program and GStreamer element the project runs, OK or missing
 * with the Debian package that provides it. Exit 0 only when all are present. `--json` is what the
 * set-up step (`scripts/setup.mjs`) reads; `--run-only` skips what only the tests use. Then a
 * WARNING line for each username that accounts stored before migration 116 share but for case or
 * width (the store of `--config` and `--data-dir`, read only), which leaves the exit code alone.
 */
export const doctorVerb: Verb = {
  name: 'doctor',
  summary:
    'checks every external program and GStreamer element the project runs; prints OK or missing with its Debian package',
  usage: 'doctor [--json] [--run-only]',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { ...commonOptions, json: { type: 'boolean' }, 'run-only': { type: 'boolean' } },
      allowPositionals: false,
    });
    const [results, users] = await Promise.all([
      runDoctor(values['run-only'] ? { only: 'run' } : {}),
      usersOf(values),
    ]);
    const missing = results.filter((r) => !r.ok);
    const packages = missingPackages(results);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({
          ok: missing.length === 0,
          packages,
          results: results.map((r) => ({
            name: r.requirement.name,
            package: r.requirement.package,
            needed: r.requirement.needed,
            ok: r.ok,
            ...(r.version ? { version: r.version } : {}),
            ...(r.problem ? { problem: r.problem } : {}),
          })),
          ...(users.kind === 'checked' ? { sameNames: users.sameNames } : {}),
          ...(users.kind === 'unchecked' ? { usersUnchecked: users.problem } : {}),
        })}\n`,
      );
      return missing.length === 0 ? 0 : 1;
    }
    const width = Math.max(...results.map((r) => r.requirement.name.length));
    for (const r of results) {
      const req = r.requirement;
      const what = req.name.padEnd(width);
      if (r.ok) {
        process.stdout.write(`  OK       ${what}  ${r.version ?? ''}\n`);
      } else {
        process.stdout.write(
          `  MISSING  ${what}  Debian package: ${req.package}  (${r.problem}; used by ${req.usedBy})\n`,
        );
      }
    }
    if (users.kind === 'checked')
      for (const s of users.sameNames) process.stdout.write(`  WARNING  ${sameNameLine(s)}\n`);
    if (users.kind === 'unchecked') process.stdout.write(`  NOTE     users not checked: ${users.problem}\n`);
    if (missing.length === 0) {
      process.stdout.write(`all ${results.length} present\n`);
      return 0;
    }
    process.stdout.write(`${missing.length} of ${results.length} missing.`);
    if (packages.length > 0)
      process.stdout.write(
        ` Install with:\n  apt-get install -y --no-install-recommends ${packages.join(' ')}\n`,
      );
    else process.stdout.write('\n');
    return 1;
  },
};

/** The users of `--config` and `--data-dir`; a config that does not load is said, not fatal here. */
async function usersOf(values: {
  config?: string | undefined;
  'data-dir'?: string | undefined;
}): Promise<UsersCheck> {
  let storage: ReturnType<typeof configFrom>['config']['storage'];
  try {
    storage = configFrom(values).config.storage;
  } catch (err) {
    return { kind: 'unchecked', problem: err instanceof Error ? err.message : String(err) };
  }
  return checkUsers(storage);
}
