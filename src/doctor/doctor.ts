import { spawn } from 'node:child_process';
import { type Requirement, requirements } from './requirements.js';

export interface CheckResult {
  requirement: Requirement;
  ok: boolean;
  version?: string;
  /** Why it counts as missing, in a line. */
  problem?: string;
}

/** Runs one check: present when it starts, exits with an accepted code and prints what is expected. */
export function runCheck(req: Requirement, timeoutMs = 20_000): Promise<CheckResult> {
  return new Promise((resolve) => {
    const [cmd, ...args] = req.check;
    let out = '';
    let settled = false;
    const done = (r: Omit<CheckResult, 'requirement'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ requirement: req, ...r });
    };
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ ok: false, problem: `${cmd} did not answer within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    child.once('error', (err: NodeJS.ErrnoException) =>
      done({ ok: false, problem: err.code === 'ENOENT' ? `${cmd} not found` : err.message }),
    );
    child.once('close', (code) => {
      const accepted = req.okExit ?? [0];
      if (code === null || !accepted.includes(code)) {
        const last = out.trim().split('\n').at(-1)?.slice(0, 160);
        return done({ ok: false, problem: `${cmd} exited ${code}${last ? `: ${last}` : ''}` });
      }
      if (req.expect && !req.expect.test(out))
        return done({ ok: false, problem: `${cmd} does not offer it` });
      const version = req.version?.exec(out)?.[1];
      done({ ok: true, ...(version ? { version } : {}) });
    });
  });
}

/** Every requirement, checked in parallel (a few at a time: two cores, and gst-inspect scans plugins). */
export async function runDoctor(opts: { only?: 'run' } = {}): Promise<CheckResult[]> {
  const reqs = requirements().filter((r) => !opts.only || r.needed === opts.only);
  const results: CheckResult[] = new Array(reqs.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= reqs.length) return;
      const req = reqs[i]!;
      // An element nobody mapped to a package is a defect of the project, whatever the machine has.
      if (req.package.startsWith('(unknown')) {
        results[i] = { requirement: req, ok: false, problem: 'no Debian package is known for it' };
        continue;
      }
      results[i] = await runCheck(req);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return results;
}

/** Debian packages that would supply what is missing, each once, in a stable order. */
export function missingPackages(results: readonly CheckResult[]): string[] {
  const pkgs = new Set<string>();
  for (const r of results) {
    if (r.ok || r.requirement.package.startsWith('(unknown')) continue;
    for (const p of r.requirement.package.split(/\s+/)) pkgs.add(p);
  }
  return [...pkgs].sort();
}
