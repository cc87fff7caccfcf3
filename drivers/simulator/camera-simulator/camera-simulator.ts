import { execFile } from 'node:child_process';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { passwordDigest } from '../../onvif/onvif-soap.js';
import { attr, child, parseXml, path, text, type XmlNode } from '../../onvif/onvif-xml.js';
import type { LoopVideo } from '../loop-video.js';
import { type RtspSource, type RtspSourceOptions, startRtspSource } from '../rtsp-source.js';
import * as R from './onvif-replies.js';
import { type SimEventKind, SimEventQueue } from './sim-events.js';

export interface CameraSimulatorOptions {
  /** HTTP port of the ONVIF services; 0 = free port. */
  port?: number;
  name?: string;
  username?: string;
  password?: string;
  width?: number;
  height?: number;
  fps?: number;
  presets?: number;
  /** UDP port answering WS-Discovery probes; 0 = free port. */
  discoveryPort?: number;
  /** Also join 239.255.255.250 (needs `discoveryPort: 3702` to be seen by multicast probes). */
  multicast?: boolean;
  /** Fixed RTSP port (demo only); default a free one. */
  rtspPort?: number;
  /**
   * Real footage instead of the test pattern: pre-encoded loops (`prepareLoopVideo`) served without
   * encoding; the profiles then report their sizes, and the snapshot is a frame of `main`.
   */
  video?: { main: LoopVideo; sub: LoopVideo };
  /** Told when its RTSP server died and was started again (`RtspSourceOptions.onRestart`). */
  onRtspRestart?: RtspSourceOptions['onRestart'];
}

const run = promisify(execFile);

/**
 * A simulated ONVIF camera: device, media, PTZ and events services over HTTP, WS-Discovery over
 * UDP, and a real H.264 RTSP/TCP stream. Tests and the demo tell it to raise events and to drop its
 * stream, programmatically or over `POST /control/{motion|tamper|video_loss|drop|resume}`.
 */
export class CameraSimulator {
  readonly urn = `urn:uuid:${randomUUID()}`;
  readonly serial = `SIM${randomUUID().slice(0, 8).toUpperCase()}`;
  readonly gotoCalls: string[] = [];
  private http: Server | undefined;
  private udp: Socket | undefined;
  private rtsp: RtspSource | undefined;
  private snapshot: Buffer | undefined;
  private readonly events = new SimEventQueue();
  port = 0;
  discoveryPort = 0;
  dropped = false;

  private readonly opts: CameraSimulatorOptions;

  constructor(opts: CameraSimulatorOptions = {}) {
    // A copy: `showVideo` changes it while running, the caller's options stay as given.
    this.opts = { ...opts };
  }

  get deviceUrl(): string {
    return `http://127.0.0.1:${this.port}/onvif/device_service`;
  }

  get name(): string {
    return this.opts.name ?? 'SE-SIM-IPC';
  }

  /** The RTSP URL of a stream with credentials (what a client ends up opening). */
  rtspUrl(which: 'main' | 'sub' = 'main'): string {
    return this.rtsp!.url(which);
  }

  async start(): Promise<this> {
    const width = this.opts.width ?? 1280;
    const height = this.opts.height ?? 720;
    const v = this.opts.video;
    this.rtsp = await startRtspSource({
      width,
      height,
      fps: this.opts.fps ?? 15,
      paths: ['main', 'sub'],
      ...(v
        ? {
            videos: {
              main: { file: v.main.file },
              sub: { file: v.sub.file },
            },
          }
        : {}),
      ...(this.opts.rtspPort !== undefined ? { port: this.opts.rtspPort } : {}),
      ...(this.opts.username !== undefined
        ? { username: this.opts.username, password: this.opts.password ?? '' }
        : {}),
      ...(this.opts.onRtspRestart ? { onRestart: this.opts.onRtspRestart } : {}),
    });
    try {
      await this.listen();
    } catch (err) {
      await this.stop();
      throw err;
    }
    return this;
  }

  private async listen(): Promise<void> {
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.http!.once('error', reject);
      this.http!.listen(this.opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.port = (this.http.address() as AddressInfo).port;
    await this.startDiscovery();
  }

  async stop(): Promise<void> {
    this.events.close();
    this.udp?.close();
    this.udp = undefined;
    if (this.http) {
      this.http.closeAllConnections();
      // close() reports "not running" when listen never succeeded; either way it is closed now.
      await new Promise<void>((resolve) => this.http!.close(() => resolve()));
      this.http = undefined;
    }
    await this.rtsp?.stop();
  }

  /** Raises an ONVIF event (motion/tamper/video_loss) to every PullPoint subscriber. */
  raise(kind: SimEventKind, active = true): void {
    this.events.raise(kind, active);
  }

  /** Drops every PullPoint subscription, as a camera whose event service restarts does. */
  forgetSubscriptions(): void {
    this.events.forgetAll();
  }

  /** Switches to real footage (or other footage) while running; readers reconnect to it. */
  async showVideo(video: { main: LoopVideo; sub: LoopVideo }): Promise<void> {
    this.opts.video = video;
    this.snapshot = undefined;
    await this.rtsp!.showVideos({
      main: { file: video.main.file },
      sub: { file: video.sub.file },
    });
  }

  async drop(): Promise<void> {
    this.dropped = true;
    await this.rtsp!.drop();
  }

  async resume(): Promise<void> {
    this.dropped = false;
    await this.rtsp!.resume();
  }

  private async startDiscovery(): Promise<void> {
    const udp = createSocket({ type: 'udp4', reuseAddr: true });
    udp.on('message', (buf, rinfo) => {
      try {
        const doc = parseXml(buf.toString('utf8'));
        if (!path(doc, 'Envelope', 'Body', 'Probe')) return;
        const id = text(path(doc, 'Envelope', 'Header'), 'MessageID') ?? '';
        const xml = R.probeMatches(id, this.urn, this.deviceUrl, this.name);
        udp.send(Buffer.from(xml), rinfo.port, rinfo.address);
      } catch {
        // Tolerated: anything on the discovery port that is not a Probe is not for us.
      }
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.opts.discoveryPort ?? 0, this.opts.multicast ? '0.0.0.0' : '127.0.0.1', () => resolve());
    });
    if (this.opts.multicast) {
      try {
        udp.addMembership('239.255.255.250');
      } catch {
        // Tolerated: sandboxes and containers often have no multicast route; unicast probes still work.
      }
    }
    this.udp = udp;
    this.discoveryPort = udp.address().port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (url.pathname.startsWith('/control/')) return this.control(url, res);
    if (req.method === 'GET' && url.pathname === '/onvif/snapshot.jpg') return this.sendSnapshot(res);
    if (req.method !== 'POST' || !url.pathname.startsWith('/onvif/')) {
      res.writeHead(404).end();
      return;
    }
    const send = (xml: string, status = 200): void => {
      res.writeHead(status, { 'content-type': 'application/soap+xml; charset=utf-8' }).end(xml);
    };
    let doc: XmlNode;
    try {
      doc = parseXml(body);
    } catch {
      return send(R.fault('Sender', 'ter:WellFormed', 'request is not XML'), 400);
    }
    const bodyNode = path(doc, 'Envelope', 'Body') ?? {};
    const action = Object.keys(bodyNode).find((k) => !k.startsWith('@_')) ?? '';
    if (action !== 'GetSystemDateAndTime' && !this.authorized(doc)) {
      return send(R.fault('Sender', 'ter:NotAuthorized', 'Sender not Authorized'), 400);
    }
    const op = child(bodyNode, action) ?? {};
    const out = await this.answer(url.pathname, action, op);
    if (out === undefined)
      return send(R.fault('Receiver', 'ter:ActionNotSupported', `${action} not supported`), 400);
    send(out.xml, out.status ?? 200);
  }

  private async answer(
    route: string,
    action: string,
    op: XmlNode,
  ): Promise<{ xml: string; status?: number } | undefined> {
    const base = `http://127.0.0.1:${this.port}`;
    const now = new Date();
    const v = this.opts.video;
    const w = v?.main.width ?? this.opts.width ?? 1280;
    const h = v?.main.height ?? this.opts.height ?? 720;
    const fps = v?.main.fps ?? this.opts.fps ?? 15;
    switch (action) {
      case 'GetSystemDateAndTime':
        return { xml: R.systemDateAndTime(now) };
      case 'GetDeviceInformation':
        return { xml: R.deviceInformation(this.serial, this.name) };
      case 'GetCapabilities':
        return { xml: R.capabilities(base) };
      case 'GetProfiles':
        return {
          xml: R.profiles([
            { token: 'Profile_1', name: 'mainStream', width: w, height: h, fps, ptz: true },
            {
              token: 'Profile_2',
              name: 'subStream',
              width: v?.sub.width ?? Math.round(w / 4) * 2,
              height: v?.sub.height ?? Math.round(h / 4) * 2,
              fps: v?.sub.fps ?? fps,
              ptz: false,
            },
          ]),
        };
      case 'GetStreamUri': {
        const which = text(op, 'ProfileToken') === 'Profile_2' ? 'sub' : 'main';
        return { xml: R.mediaUri('GetStreamUri', `rtsp://127.0.0.1:${this.rtsp!.port}/${which}`) };
      }
      case 'GetSnapshotUri':
        return { xml: R.mediaUri('GetSnapshotUri', `${base}/onvif/snapshot.jpg`) };
      case 'GetPresets':
        return { xml: R.presets(this.opts.presets ?? 5) };
      case 'GotoPreset': {
        const token = text(op, 'PresetToken') ?? '';
        const n = Number(token);
        if (!Number.isInteger(n) || n < 1 || n > (this.opts.presets ?? 5)) {
          return { xml: R.fault('Sender', 'ter:NoToken', `no preset ${token}`), status: 400 };
        }
        this.gotoCalls.push(token);
        return { xml: R.empty('GotoPreset') };
      }
      default:
        return this.events.answer(route, action, op, base);
    }
  }

  private authorized(doc: XmlNode): boolean {
    if (this.opts.username === undefined) return true;
    const tok = path(doc, 'Envelope', 'Header', 'Security', 'UsernameToken');
    const user = text(tok, 'Username');
    const digest = text(tok, 'Password');
    const nonce = text(tok, 'Nonce');
    const created = text(tok, 'Created');
    if (user !== this.opts.username || !digest || !nonce || !created) return false;
    if (!attr(child(tok, 'Password'), 'Type')?.endsWith('#PasswordDigest')) return false;
    const want = Buffer.from(passwordDigest(Buffer.from(nonce, 'base64'), created, this.opts.password ?? ''));
    const got = Buffer.from(digest);
    return want.length === got.length && timingSafeEqual(want, got);
  }

  private control(url: URL, res: ServerResponse): void {
    const what = url.pathname.slice('/control/'.length);
    const active = url.searchParams.get('active') !== 'false';
    if (what === 'motion' || what === 'tamper' || what === 'video_loss') this.raise(what, active);
    else if (what === 'drop') void this.drop();
    else if (what === 'resume') void this.resume();
    else {
      res.writeHead(404).end(`unknown control ${what}`);
      return;
    }
    res.writeHead(204).end();
  }

  private async sendSnapshot(res: ServerResponse): Promise<void> {
    // A frame of the footage when there is some (its first frame), else a test card.
    const input = this.opts.video
      ? ['-i', this.opts.video.main.file]
      : ['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=1'];
    this.snapshot ??= (
      await run('ffmpeg', ['-v', 'error', ...input, '-frames:v', '1', '-f', 'mjpeg', 'pipe:1'], {
        encoding: 'buffer',
        maxBuffer: 8 << 20,
      })
    ).stdout;
    res.writeHead(200, { 'content-type': 'image/jpeg' }).end(this.snapshot);
  }
}
