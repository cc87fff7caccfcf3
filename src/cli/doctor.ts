import { parseArgs } from 'node:util';
import { missingPackages, runDoctor } from '../doctor/doctor.js';
import { commonOptions, type Verb } from './common.js';

/**
 * `sharpeyes doctor`: every external program and GStreamer element the project runs, OK or missing
 * with the Debian package that provides it. Exit 0 only when all are present. `--json` is what the
 * set-up step (`scripts/setup.mjs`) reads; `--run-only` skips what only the tests use.
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
    const results = await runDoctor(values['run-only'] ? { only: 'run' } : {});
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
