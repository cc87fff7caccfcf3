/**
 * The stream hub's contract (issue 7): what the recorder, the live relay and motion analysis
 * consume. Implemented by `StreamHub` in upstream-hub.ts, published as `svc.parts.get('streams')`.
 */

export type StreamName = 'main' | 'sub';
export type UpstreamState = 'idle' | 'connecting' | 'live' | 'lost';

/** codec: `video/mp4; codecs="avc1.xxxxxx"`; init: ftyp+moov. */
export interface MediaInit {
  codec: string;
  init: Buffer;
}

/** One moof+mdat. `wallclock` is when the hub received it (ms since epoch). */
export interface MediaFragment {
  data: Buffer;
  keyframe: boolean;
  wallclock: number;
  decodeTime: number;
  timescale: number;
  /** Sum of the fragment's sample durations in `timescale` ticks (0 when the stream says none). */
  duration?: number;
  /** Frames in the fragment. */
  samples?: number;
}

/**
 * A recorder, a live viewer, a motion analyser. Callbacks run synchronously on the hub's data path:
 * keep them short. `onInit` comes first and again after every reconnect (fragments that follow
 * belong to the new init); fragments after an init always start at a keyframe.
 */
export interface StreamConsumer {
  onInit(i: MediaInit): void;
  onFragment(f: MediaFragment): void;
  /** The hub will send nothing more (service stopping). */
  onEnd?(reason: string): void;
  /** The upstream's state changed (e.g. `lost` while the camera is unreachable, `live` again). */
  onState?(state: UpstreamState, detail?: string): void;
}

export interface UpstreamHub {
  subscribe(cameraId: string, stream: StreamName, consumer: StreamConsumer, who: string): () => void;
  status(cameraId: string): { main: UpstreamState; sub: UpstreamState; consumers: number };
}

export interface UpstreamInfo {
  camera: string;
  stream: StreamName;
  state: UpstreamState;
  consumers: string[];
  pid: number | undefined;
  restarts: number;
  lastError: string | undefined;
}
