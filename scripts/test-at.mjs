#!/usr/bin/env node
// The test suite with the wall clock moved: `npm run test:at -- <instant> [test files or dirs…]`.
// A test that reads the real time can pass all month and fail in the minutes around Shanghai's
// midnight, at a month's or a year's turn, or only after a date its fixture names. This runs vitest
// under libfaketime (Debian `faketime`, installed by `npm test`'s setup) with the clock set to
// <instant> (ISO, e.g. 2026-12-31T15:50:00Z: Shanghai's 23:50 on New Year's Eve) and running on from
// there; timers keep the real monotonic clock. Chromium and redis-server hang under libfaketime: the
// tests start them without it (src/util/without-faketime.ts), and the browser's pages get the moved
// clock from test/web/console-helpers.ts `launchChromium` (in Asia/Shanghai, as officers' desks), so
// the console is run at the instant too. The checks of the machine's programs are left out (they run
// redis-server and the rest as installed). With no files: every other file of the suite (about 30 min).
// Instants worth a run: a quarter of an hour before Shanghai's midnight (15:45Z), the last day of a
// month and of a year, a Sunday (the week's turn), and a date a year or two ahead.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [instant, ...named] = process.argv.slice(2);
const target = Date.parse(instant ?? '');
if (!instant || Number.isNaN(target)) {
  process.stderr.write(
    'usage: npm run test:at -- <ISO instant, e.g. 2026-12-31T15:50:00Z> [test files or dirs…]\n',
  );
  process.exit(2);
}
if (spawnSync('faketime', ['--version'], { stdio: 'ignore' }).status !== 0) {
  process.stderr.write('test:at: faketime is missing: apt-get install -y faketime (or run npm test once)\n');
  process.exit(2);
}

/** Checks of the machine's programs: redis-server deadlocks at start under libfaketime. */
const NOT_UNDER_FAKETIME = new Set(['test/doctor/doctor.test.ts', 'test/scripts/setup.test.ts']);

/** Every test file under `dir`. */
function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return testFiles(p);
    return /\.(test|cluster)\.ts$/.test(name) ? [p] : [];
  });
}
const files = named.length
  ? named
  : testFiles('test')
      .filter((f) => !NOT_UNDER_FAKETIME.has(f))
      .sort();

const offset = Math.round((target - Date.now()) / 1000);
/** faketime's relative form: a signed number of seconds. */
const shift = `${offset >= 0 ? '+' : ''}${offset}s`;
process.stderr.write(
  `test:at: the clock at ${new Date(target).toISOString()} (${shift}), ${files.length} file(s)\n`,
);
const r = spawnSync('faketime', ['-f', shift, 'npx', 'vitest', 'run', ...files], {
  stdio: 'inherit',
  env: { ...process.env, FAKETIME_DONT_FAKE_MONOTONIC: '1' },
});
process.exit(r.status ?? 1);
