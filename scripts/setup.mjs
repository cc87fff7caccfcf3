#!/usr/bin/env node
// The one set-up step `npm start` and `npm test` run first (package.json prestart/pretest).
// Idempotent and cheap when everything is present (a stamp in node_modules):
//   1. `npm ci` when node_modules is missing or does not hold what package-lock.json names;
//   2. `sharpeyes doctor`: every external program and GStreamer element the project runs;
//   3. what is missing: as root, `apt-get install` its Debian packages and check again; otherwise
//      print the one `apt-get install` line to run, and stop.
// Plain Node with built-ins only: it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LOCK = join(ROOT, 'package-lock.json');
const INSTALLED = join(ROOT, 'node_modules', '.package-lock.json');
const STAMP = join(ROOT, 'node_modules', '.sharpeyes-setup.json');
const DPKG_STATUS = '/var/lib/dpkg/status';
const purpose = process.argv.includes('--run-only') ? 'run' : 'test';
// --force: check again even when the stamp says nothing changed.
const force = process.argv.includes('--force');
const started = Date.now();

const say = (msg) => process.stderr.write(`setup: ${msg}\n`);
const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

/**
 * Whether node_modules holds what package-lock.json asks for: npm's own record of the installed tree
 * (node_modules/.package-lock.json) names every package with its version. Compared by content, not
 * by file times, which a git checkout or a second worktree sharing node_modules makes meaningless.
 */
function installedMatchesLock() {
  if (!existsSync(INSTALLED)) return false;
  try {
    const want = JSON.parse(readFileSync(LOCK, 'utf8')).packages ?? {};
    const have = JSON.parse(readFileSync(INSTALLED, 'utf8')).packages ?? {};
    for (const [path, pkg] of Object.entries(want)) {
      if (path === '' || pkg.optional || pkg.peer) continue;
      if (have[path]?.version !== pkg.version) return false;
    }
    return true;
  } catch {
    return false;
  }
}

// 1. Node packages.
if (!installedMatchesLock()) {
  say(existsSync(INSTALLED) ? 'package-lock.json changed: npm ci' : 'first run: npm ci (about 3 minutes)');
  // onnxruntime-node's postinstall would fetch CUDA from an unreachable host; the CPU binary ships.
  const code = run('npm', ['ci', '--no-audit', '--no-fund'], {
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  if (code !== 0) {
    say('npm ci failed (see above)');
    process.exit(code);
  }
}

// 2. The stamp: same lock, same Debian package set, same requirements → nothing to check.
const requirementFiles = ['src/doctor/requirements.ts', 'drivers/simulator/gst-pipelines.ts'];
const fingerprint = createHash('sha256')
  .update(purpose)
  .update(readFileSync(LOCK))
  .update(String(mtime(DPKG_STATUS)))
  .update(requirementFiles.map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\0'))
  .digest('hex');
const stamp = existsSync(STAMP) ? JSON.parse(readFileSync(STAMP, 'utf8')) : {};
if (stamp[purpose] === fingerprint && !force) process.exit(0);

function doctor() {
  const args = [join(ROOT, 'bin', 'sharpeyes.js'), 'doctor', '--json'];
  if (purpose === 'run') args.push('--run-only');
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  if (r.error) throw r.error;
  try {
    return JSON.parse(r.stdout);
  } catch {
    say(`sharpeyes doctor did not answer: ${r.stderr}`);
    process.exit(1);
  }
}

// 3. External programs.
let report = doctor();
if (!report.ok) {
  const missing = report.results.filter((r) => !r.ok);
  for (const r of missing) say(`missing ${r.name} (Debian package ${r.package}): ${r.problem}`);
  const line = `apt-get install -y --no-install-recommends ${report.packages.join(' ')}`;
  if (report.packages.length === 0) {
    say('no Debian package is known for what is missing: see `npx sharpeyes doctor`');
    process.exit(1);
  }
  if (process.getuid?.() !== 0) {
    say(`not root, so not installing. Run this once, then again:\n\n  sudo ${line}\n`);
    process.exit(1);
  }
  say(`installing: ${line}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const installArgs = ['install', '-y', '-q', '--no-install-recommends', ...report.packages];
  // A fresh machine has no package lists yet; an old one may have stale ones.
  if (run('apt-get', installArgs, { env }) !== 0) {
    run('apt-get', ['update', '-q'], { env });
    if (run('apt-get', installArgs, { env }) !== 0) {
      say('apt-get install failed (see above)');
      process.exit(1);
    }
  }
  report = doctor();
  if (!report.ok) {
    for (const r of report.results.filter((x) => !x.ok)) say(`still missing ${r.name}: ${r.problem}`);
    process.exit(1);
  }
}
writeFileSync(
  STAMP,
  JSON.stringify({ ...stamp, [purpose]: fingerprint, checkedAt: new Date().toISOString() }),
);
say(`everything present (${report.results.length} checks, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
