import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  pipelineCatalog,
  pipelineElements,
  testPatternLaunch,
} from '../../drivers/simulator/gst-pipelines.js';
import { parseConfig } from '../../src/config/load.js';
import { missingPackages, runCheck, runDoctor } from '../../src/doctor/doctor.js';
import { ELEMENT_PACKAGES, elementRequirements } from '../../src/doctor/requirements.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { openStore, sqliteFile } from '../../src/store/open.js';
import { migrate, openDatabase } from '../../src/store/sqlite.js';
import { SERVICE_BACKENDS, stopSharedPostgres } from '../helpers/postgres.js';
import { TEST_CITY_YAML } from '../helpers/service.js';

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

afterAll(() => stopSharedPostgres(), 60_000);

/**
 * Accounts stored as one name but for case or width before migration 116 keep their accounts and log
 * in by their exact names; nobody saw them. Doctor names them, with what an admin does about it.
 */
describe.each(SERVICE_BACKENDS)(
  'sharpeyes doctor on a store whose accounts share a name (%s)',
  (_name, storage) => {
    it('prints a WARNING line a shared name, naming its accounts and what to do; the exit stays the programs’', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'doctor-users-'));
      try {
        const yaml = `${TEST_CITY_YAML}${await storage()}`;
        const file = join(dir, 'city.yaml');
        writeFileSync(file, yaml);
        const store = await openStore(parseConfig(yaml, file).storage, { dataDir: dir });
        try {
          const user = (username: string) => ({
            username,
            passwordHash: 'x',
            role: 'operator' as const,
            scope: 'north',
          });
          for (const username of ['Wang', 'Émile', 'op-1']) await store.users.create(user(username));
          // As they were stored before migration 116: the later twins keep no key.
          for (const username of ['wang', 'ｗａｎｇ', 'émile'])
            await store.k
              .insertInto('users')
              .values({
                username,
                username_key: null,
                password_hash: 'x',
                role: 'operator',
                scope: 'north',
                created_at: new Date().toISOString(),
                disabled: 0,
              })
              .execute();
        } finally {
          await store.close();
        }
        const { stdout } = await run(process.execPath, [BIN, 'doctor', '--config', file, '--data-dir', dir]);
        expect(stdout.split('\n').filter((l) => l.includes('WARNING'))).toEqual([
          '  WARNING  same username: Wang, wang, ｗａｎｇ are one name but for case or width (stored before migration 116; each still logs in by its exact name). Wang keeps it; give wang, ｗａｎｇ a new name: an admin adds each person an account under another name (用户管理 or `user add`), then disables the old one (`user disable --username wang`)',
          expect.stringMatching(
            /^ {2}WARNING {2}same username: Émile, émile are one name .* give émile a new name: .*`user disable --username émile`\)$/,
          ),
        ]);
        expect(stdout).toMatch(/^all \d+ present$/m);
        const json = JSON.parse(
          (await run(process.execPath, [BIN, 'doctor', '--json', '--config', file, '--data-dir', dir]))
            .stdout,
        ) as { sameNames: unknown };
        expect(json.sameNames).toEqual([
          { usernames: ['Wang', 'wang', 'ｗａｎｇ'] },
          { usernames: ['Émile', 'émile'] },
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);

describe('sharpeyes doctor on a data dir whose users it cannot check', () => {
  it('has no users to check: no warning, and creates no database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doctor-empty-'));
    try {
      const file = join(dir, 'city.yaml');
      writeFileSync(file, TEST_CITY_YAML);
      const { stdout } = await run(process.execPath, [BIN, 'doctor', '--config', file, '--data-dir', dir]);
      expect(stdout).not.toMatch(/WARNING|NOTE/);
      expect(existsSync(sqliteFile(dir))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a database older than migration 116 is said so in a NOTE, left as it was, and the exit stays the programs’', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doctor-old-'));
    try {
      const file = join(dir, 'city.yaml');
      writeFileSync(file, TEST_CITY_YAML);
      const db = openDatabase(sqliteFile(dir));
      migrate(
        db,
        MIGRATIONS.filter((m) => m.version <= 115),
      );
      db.close();
      const { stdout } = await run(process.execPath, [BIN, 'doctor', '--config', file, '--data-dir', dir]);
      expect(stdout.split('\n').filter((l) => /WARNING|NOTE/.test(l))).toEqual([
        '  NOTE     users not checked: the database is older than migration 116, which keys usernames; the service brings it up to date when it starts',
      ]);
      expect(stdout).toMatch(/^all \d+ present$/m);
      const after = openDatabase(sqliteFile(dir));
      expect(after.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({ v: 115 });
      after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
