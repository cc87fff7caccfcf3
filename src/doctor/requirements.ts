import { pipelineCatalog, pipelineElements } from '../../drivers/simulator/gst-pipelines.js';

/**
 * What the project runs outside Node, checked by capability (the program answers, the element loads,
 * the Python imports), each with the Debian package that provides it. `needed: 'run'` is what the
 * service and the demo city need; `'test'` what only the test suite and benchmarks use.
 */
export interface Requirement {
  /** What a person reads: "ffmpeg", "GStreamer element clockoverlay". */
  name: string;
  /** Debian package that provides it. */
  package: string;
  needed: 'run' | 'test';
  usedBy: string;
  /** argv of the check; exit 0 (or `okExit`) means present. */
  check: string[];
  okExit?: number[];
  /** Pulls a version out of the check's output. */
  version?: RegExp;
  /** The check's output must match this too (a capability inside a program, e.g. an encoder). */
  expect?: RegExp;
}

/** Debian package of every GStreamer element a pipeline may use; an element not listed fails doctor. */
export const ELEMENT_PACKAGES: Readonly<Record<string, string>> = {
  videotestsrc: 'gstreamer1.0-plugins-base',
  videoconvert: 'gstreamer1.0-plugins-base',
  videoscale: 'gstreamer1.0-plugins-base',
  clockoverlay: 'gstreamer1.0-x',
  timeoverlay: 'gstreamer1.0-x',
  textoverlay: 'gstreamer1.0-x',
  x264enc: 'gstreamer1.0-plugins-ugly',
  rtph264pay: 'gstreamer1.0-plugins-good',
  rtph264depay: 'gstreamer1.0-plugins-good',
  qtdemux: 'gstreamer1.0-plugins-good',
  matroskademux: 'gstreamer1.0-plugins-good',
  udpsrc: 'gstreamer1.0-plugins-good',
  h264parse: 'gstreamer1.0-plugins-bad',
  tsdemux: 'gstreamer1.0-plugins-bad',
  filesrc: 'libgstreamer1.0-0',
  multifilesrc: 'gstreamer1.0-plugins-good',
  queue: 'libgstreamer1.0-0',
  identity: 'libgstreamer1.0-0',
  capsfilter: 'libgstreamer1.0-0',
};

export const GST_PYTHON = process.env['SHARPEYES_GST_PYTHON'] ?? '/usr/bin/python3';

const PROGRAMS: Requirement[] = [
  {
    name: 'ffmpeg',
    package: 'ffmpeg',
    needed: 'run',
    usedBy: 'stream hub, recording, clips, exports, snapshots, motion',
    check: ['ffmpeg', '-hide_banner', '-version'],
    version: /ffmpeg version (\S+)/,
  },
  {
    name: 'ffprobe',
    package: 'ffmpeg',
    needed: 'run',
    usedBy: 'recording reconcile, clip and export checks',
    check: ['ffprobe', '-hide_banner', '-version'],
    version: /ffprobe version (\S+)/,
  },
  {
    name: 'ffmpeg encoder libx264',
    package: 'ffmpeg',
    needed: 'test',
    usedBy: 'test fixtures and benchmarks that encode H.264',
    check: ['ffmpeg', '-hide_banner', '-encoders'],
    expect: /\blibx264\b/,
  },
  {
    name: 'Python with GStreamer RTSP server bindings',
    package: 'python3-gi gir1.2-gst-rtsp-server-1.0',
    needed: 'run',
    usedBy: 'simulated cameras (demo city, tests)',
    check: [
      GST_PYTHON,
      '-c',
      "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); " +
        'from gi.repository import Gst, GstRtspServer; Gst.init(None); print(Gst.version_string())',
    ],
    version: /GStreamer (\S+)/,
  },
  {
    name: 'Demo camera footage (vtest.avi)',
    package: 'opencv-doc',
    needed: 'run',
    usedBy: 'demo cameras (people walking), detector tests and benchmarks on real photographs',
    // Checked by this Node itself: a file needs no program on the PATH.
    check: [
      process.execPath,
      '-e',
      // It says which file is missing (a bare statSync failure ended the doctor's line with Node's
      // version banner from the stack trace).
      "const f = '/usr/share/doc/opencv-doc/examples/data/vtest.avi'; let n = 0; " +
        "try { n = require('fs').statSync(f).size } catch { console.log(f + ' is missing'); process.exit(1) } " +
        "if (n === 0) { console.log(f + ' is empty'); process.exit(1) }",
    ],
  },
  {
    name: 'gst-inspect-1.0',
    package: 'gstreamer1.0-tools',
    needed: 'run',
    usedBy: 'doctor: checking GStreamer elements',
    check: ['gst-inspect-1.0', '--version'],
    version: /GStreamer (\S+)/,
  },
  {
    name: 'Chromium',
    package: 'chromium',
    needed: 'test',
    usedBy: 'console and live-wall tests, PDF reports',
    check: ['/usr/bin/chromium', '--version'],
    version: /Chromium (\S+)/,
  },
  {
    name: 'Chinese fonts',
    package: 'fonts-noto-cjk',
    needed: 'test',
    usedBy: 'console screenshots and PDF reports in Chinese',
    check: ['fc-list', ':lang=zh', 'family'],
    expect: /\S/,
  },
  {
    name: 'Mosquitto broker',
    package: 'mosquitto',
    needed: 'test',
    usedBy: 'external-broker tests',
    check: ['mosquitto', '-h'],
    okExit: [0, 3],
    version: /mosquitto version (\S+)/,
  },
  {
    name: 'PostgreSQL 15 server',
    package: 'postgresql-15',
    needed: 'test',
    usedBy: 'store and cluster tests on PostgreSQL (a throw-away server per run)',
    check: [`${process.env['SHARPEYES_PG_BIN'] ?? '/usr/lib/postgresql/15/bin'}/postgres`, '--version'],
    version: /postgres \(PostgreSQL\) (\S+)/,
  },
  {
    name: 'Redis server',
    package: 'redis-server',
    needed: 'test',
    usedBy: 'cluster tests (live-socket fan-out between nodes, leases)',
    check: ['redis-server', '--version'],
    version: /v=(\S+)/,
  },
  {
    name: 'mosquitto_passwd',
    package: 'mosquitto',
    needed: 'test',
    usedBy: 'external-broker tests (password file)',
    check: ['mosquitto_passwd', '-h'],
    okExit: [0, 1],
    expect: /mosquitto_passwd/,
  },
  {
    name: 'faketime',
    package: 'faketime',
    needed: 'test',
    usedBy: 'npm run test:at (the suite with the wall clock moved to a month’s or a year’s turn)',
    check: ['faketime', '--version'],
    version: /Version (\S+)/,
  },
  {
    name: 'mosquitto_pub / mosquitto_sub',
    package: 'mosquitto-clients',
    needed: 'test',
    usedBy: 'external-broker tests (a foreign client)',
    check: ['mosquitto_pub', '--help'],
    okExit: [0, 1],
    expect: /mosquitto_pub/,
  },
];

/** GStreamer elements of every pipeline in the catalog, one requirement each. */
export function elementRequirements(
  catalog: readonly { name: string; launch: string }[] = pipelineCatalog(),
): Requirement[] {
  const byElement = new Map<string, string[]>();
  for (const p of catalog) {
    for (const el of pipelineElements(p.launch)) byElement.set(el, [...(byElement.get(el) ?? []), p.name]);
  }
  return [...byElement.entries()].map(([el, users]) => ({
    name: `GStreamer element ${el}`,
    package: ELEMENT_PACKAGES[el] ?? '(unknown: add it to ELEMENT_PACKAGES in src/doctor/requirements.ts)',
    needed: 'run',
    usedBy: users.join(', '),
    check: ['gst-inspect-1.0', '--exists', el],
  }));
}

export function requirements(): Requirement[] {
  return [...PROGRAMS, ...elementRequirements()];
}
