import { FrameReader, type FrameReaderOptions } from '../../models/motion-frames.js';
import type { Service } from '../service.js';

/** The streams hub's consumer contract (issue 7), as far as frame decoding uses it. */
export interface StreamConsumer {
  onInit(i: { codec: string; init: Buffer }): void;
  onFragment(f: { data: Buffer; keyframe: boolean; wallclock: number }): void;
  onEnd?(reason: string): void;
}
export interface UpstreamHub {
  subscribe(cameraId: string, stream: 'main' | 'sub', consumer: StreamConsumer, who: string): () => void;
}

export function streamsHub(svc: Service): UpstreamHub | undefined {
  const hub = svc.parts.get('streams') as Partial<UpstreamHub> | undefined;
  return typeof hub?.subscribe === 'function' ? (hub as UpstreamHub) : undefined;
}

export interface HubFrames {
  stop(): Promise<void>;
}

/**
 * Decodes a camera's fMP4 from the streams hub to raw frames: the init segment and fragments go to an
 * ffmpeg decoder's stdin, so the camera keeps one connection for recorder, viewers and analysis.
 * The hub sends a new init after a reconnect; fragments then belong to a new stream, so a new decoder
 * takes over while the old one drains.
 */
export function hubFrames(
  hub: UpstreamHub,
  camera: string,
  stream: 'main' | 'sub',
  who: string,
  opts: Omit<FrameReaderOptions, 'url' | 'inputOptions' | 'onEnd'> & { onEnd?(reason: string): void },
): HubFrames {
  let reader: FrameReader | undefined;
  let started = false;
  let stopped = false;
  const retired: FrameReader[] = [];
  const unsubscribe = hub.subscribe(
    camera,
    stream,
    {
      onInit: (i) => {
        if (stopped) return;
        // The old decoder drains what it has (its frames still count) and exits on end of input.
        if (reader) {
          reader.endInput();
          retired.push(reader);
        }
        reader = new FrameReader(opts);
        started = false;
        reader.input(i.init);
      },
      onFragment: (f) => {
        // ffmpeg needs the stream to begin at a keyframe after the init segment.
        started ||= f.keyframe;
        if (started) reader?.input(f.data);
      },
      onEnd: (reason) => {
        reader?.endInput();
        opts.onEnd?.(reason);
      },
    },
    who,
  );
  return {
    async stop() {
      stopped = true;
      unsubscribe();
      await Promise.all([...retired, reader].map((r) => r?.stop()));
    },
  };
}
