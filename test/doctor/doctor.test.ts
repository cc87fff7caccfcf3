import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  pipelineCatalog,
  pipelineElements,
  testPatternLaunch,
} from '../../drivers/simulator/gst-pipelines.js';
import { missingPackages, runCheck, runDoctor } from '../../src/doctor/doctor.js';
import { ELEMENT_PACKAGES, elementRequirements } from '../../src/doctor/requirements.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sharpeyes.js');

/** A PATH holding links to the named programs only. */
function pathWith(programs: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'doctor-path-'));
  for (const p of programs) {
    const found = ['/usr/bin', '/usr/local/bin', '/usr/sbin'].map((b) => join(b, p)).find(existsSync);
    if (!found) throw new Error(`${p} is not installed: run npx sharpeyes doctor`);
    symlinkSync(found, join(dir, p));
  }
  return dir;
}

describe('pipeline elements', () => {
  it('reads the element names of the test-pattern pipeline, skipping caps and properties', () => {
    const launch = testPatternLaunch({ path: 'main', width: 320, height: 180, fps: 10 });
    expect(pipelineElements(launch)).toEqual([
      'videotestsrc',
      'clockoverlay',
      'timeoverlay',
      'x264enc',
      'rtph264pay',
    ]);
  });

  it.each([
    [
      '( filesrc location="/a b!c.mp4" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 )',
      ['filesrc', 'qtdemux', 'h264parse', 'rtph264pay'],
    ],
    [
      'udpsrc port=5000 caps="application/x-rtp,media=video" ! rtph264depay ! queue',
      ['udpsrc', 'rtph264depay', 'queue'],
    ],
  ])('%s', (launch, elements) => {
    expect(pipelineElements(launch)).toEqual(elements);
  });

  it('knows the Debian package of every element of every pipeline the project launches', () => {
    const unknown = pipelineCatalog()
      .flatMap((p) => pipelineElements(p.launch))
      .filter((el) => !ELEMENT_PACKAGES[el]);
    expect(unknown).toEqual([]);
  });

  it('an element nobody mapped to a package is a failure whatever the machine has', () => {
    const reqs = elementRequirements([{ name: 'new pipeline', launch: 'videotestsrc ! fancynewelement' }]);
    const fancy = reqs.find((r) => r.name.endsWith('fancynewelement'))!;
    expect(fancy.package).toMatch(/unknown/);
  });
});

describe('checks', () => {
  it('a program that is not installed is missing, named by its Debian package', async () => {
    const r = await runCheck({
      name: 'nothing',
      package: 'nothing-pkg',
      needed: 'run',
      usedBy: 'test',
      check: ['sharpeyes-no-such-program-xyz', '--version'],
    });
    expect(r.ok).toBe(false);
    expect(r.problem).toMatch(/not found/);
    expect(missingPackages([r])).toEqual(['nothing-pkg']);
  });

  it('a GStreamer element that does not exist is missing', async () => {
    const r = await runCheck({
      name: 'GStreamer element nosuchelement',
      package: 'gstreamer1.0-plugins-bad',
      needed: 'run',
      usedBy: 'test',
      check: ['gst-inspect-1.0', '--exists', 'nosuchelementxyz'],
    });
    expect(r.ok).toBe(false);
  });

  it('on this machine everything is present, with ffmpeg and ffprobe versions', async () => {
    const results = await runDoctor();
    expect(results.filter((r) => !r.ok).map((r) => `${r.requirement.name}: ${r.problem}`)).toEqual([]);
    const names = results.map((r) => r.requirement.name);
    for (const n of ['ffmpeg', 'ffprobe', 'Chromium', 'Mosquitto broker', 'GStreamer element clockoverlay'])
      expect(names).toContain(n);
    expect(results.find((r) => r.requirement.name === 'ffmpeg')!.version).toMatch(/^\d+\.\d+/);
    expect(results.find((r) => r.requirement.name === 'ffprobe')!.version).toMatch(/^\d+\.\d+/);
  });
});

describe('sharpeyes doctor', () => {
  it('exits 0 and says all present', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'doctor']);
    expect(stdout).toMatch(/OK +ffmpeg +\d/);
    expect(stdout).toMatch(/OK +GStreamer element timeoverlay/);
    expect(stdout).toMatch(/^all \d+ present$/m);
  });

  it('without ffmpeg on the PATH: MISSING with its Debian package, the install line, exit 1', async () => {
    const path = pathWith([
      'gst-inspect-1.0',
      'fc-list',
      'mosquitto',
      'mosquitto_passwd',
      'mosquitto_pub',
      'redis-server',
      'faketime',
      'ffprobe',
    ]);
    const err = await run(process.execPath, [BIN, 'doctor'], { env: { ...process.env, PATH: path } }).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stdout).toMatch(/MISSING +ffmpeg +Debian package: ffmpeg/);
    expect(err?.stdout).toMatch(/apt-get install -y --no-install-recommends ffmpeg$/m);
    expect(err?.stdout).toMatch(/OK +ffprobe/);
  });

  it('--json lists the packages to install', async () => {
    const path = pathWith(['fc-list', 'mosquitto', 'mosquitto_passwd', 'mosquitto_pub', 'ffmpeg', 'ffprobe']);
    const out = await run(process.execPath, [BIN, 'doctor', '--json'], {
      env: { ...process.env, PATH: path },
    }).then(
      () => '',
      (e: { stdout: string }) => e.stdout,
    );
    const report = JSON.parse(out) as { ok: boolean; packages: string[] };
    expect(report.ok).toBe(false);
    // Without gst-inspect no element can be checked: the tools and every element's plugin package.
    expect(report.packages).toEqual(
      expect.arrayContaining(['gstreamer1.0-tools', 'gstreamer1.0-x', 'gstreamer1.0-plugins-ugly']),
    );
  });
});
