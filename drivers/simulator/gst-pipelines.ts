/**
 * Every GStreamer pipeline the project launches, built here and nowhere else: `rtsp-source.py`
 * receives the launch strings from `rtsp-source.ts`, and `sharpeyes doctor` parses the same strings
 * for their element names, so an element added to a pipeline without its Debian package makes
 * `doctor` fail instead of a camera answering 503 on a fresh machine.
 */

export interface TestPatternMount {
  path: string;
  width: number;
  height: number;
  fps: number;
}

/**
 * SMPTE test pattern with a burnt-in wall clock (the timing tests read it), encoded live with x264:
 * yuv420p baseline, keyframe every second of media time.
 */
export function testPatternLaunch(m: TestPatternMount): string {
  const bitrate = Math.max(200, Math.floor((m.width * m.height) / 1000));
  return (
    '( videotestsrc is-live=true pattern=smpte ' +
    `! video/x-raw,width=${m.width},height=${m.height},framerate=${m.fps}/1,format=I420 ` +
    '! clockoverlay time-format="%Y-%m-%d %H:%M:%S" font-desc="Sans 18" ' +
    `! timeoverlay halignment=right valignment=bottom text="${m.path}" ` +
    `! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=${m.fps} bitrate=${bitrate} ` +
    '! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1 )'
  );
}

export interface LoopFileMount {
  path: string;
  /** H.264 in MPEG-TS (`loop-video.ts` makes one), played from its start forever. */
  file: string;
}

/**
 * A pre-encoded H.264 file served in a loop, never decoded nor encoded: a mount costs a file read
 * per loop and some parsing, so dozens of cameras fit on one core (bench/README.md).
 *
 * `multifilesrc` re-reads the file after its end, so the demuxer sees one endless transport stream
 * whose clock (PCR) jumps back at each loop point; `tsdemux` takes such a jump for a discontinuity and
 * carries its output timestamps on from where they were, so a recorder downstream sees media time
 * run on monotonically, a keyframe every second, across every loop.
 */
export function loopFileLaunch(m: LoopFileMount): string {
  if (/["\n\\]/.test(m.file)) throw new Error(`gst-pipelines: unsupported character in file name ${m.file}`);
  return (
    `( multifilesrc location="${m.file}" loop=true caps="video/mpegts,systemstream=true,packetsize=188" ` +
    '! tsdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )'
  );
}

/** Representative launch strings of every pipeline kind above, for `doctor`. */
export function pipelineCatalog(): { name: string; launch: string }[] {
  return [
    {
      name: 'simulated camera (test pattern)',
      launch: testPatternLaunch({ path: 'main', width: 320, height: 180, fps: 10 }),
    },
    {
      name: 'simulated camera (looped H.264 file, no encoding)',
      launch: loopFileLaunch({ path: 'main', file: '/var/cache/sharpeyes/demo-video.ts' }),
    },
  ];
}

/**
 * Element names of a gst-launch description: the first word of each `!`-separated stage, skipping
 * caps filters (`video/x-raw,…`), bins' parentheses and named-pad references (`pay0.`).
 */
export function pipelineElements(launch: string): string[] {
  const out = new Set<string>();
  // Quoted property values may contain `!` or spaces: blank them out first.
  const unquoted = launch.replace(/"[^"]*"/g, '""');
  for (const raw of unquoted.split('!')) {
    const stage = raw.replace(/[()]/g, ' ').trim();
    const word = stage.split(/\s+/)[0];
    if (!word) continue;
    if (word.includes('/')) continue; // caps
    if (word.endsWith('.')) continue; // a pad reference
    if (word.includes('=')) continue; // a property of the previous element
    out.add(word);
  }
  return [...out];
}
