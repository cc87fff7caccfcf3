import { ffmpeg, type RgbImage } from '../../models/image.js';
import { PlateReader } from '../../models/plate-reader.js';

/**
 * Reads the simulator's burnt-in wall clock (GStreamer clockoverlay, top left, `%Y-%m-%d %H:%M:%S`
 * in the source's time zone) from frames of a recording, with the project's PaddleOCR recognizer.
 * On a 320x240 source the text sits in the 140x28 box at (18, 17); it is upscaled 2x for the reader.
 */
export class BurntInClock {
  private constructor(private readonly reader: PlateReader) {}

  static async open(): Promise<BurntInClock> {
    return new BurntInClock(await PlateReader.open());
  }

  /** The clock shown at media time `t` of `file` (ms since epoch, whole seconds, UTC), or undefined. */
  async at(file: string, t: number): Promise<number | undefined> {
    return (await this.read(file, t)).ms;
  }

  /** What the reader saw at media time `t`: its text and confidence, and the clock when it is one. */
  async read(
    file: string,
    t: number,
  ): Promise<{ ms: number | undefined; digits: string | undefined; text: string; confidence: number }> {
    const pam = await ffmpeg([
      ...['-ss', t.toFixed(3), '-i', file, '-frames:v', '1', '-vf', 'crop=140:28:18:17,scale=iw*2:ih*2'],
      ...['-f', 'image2pipe', '-c:v', 'pam', '-pix_fmt', 'rgb24', '-'],
    ]);
    const end = pam.indexOf('ENDHDR\n');
    const head = pam.subarray(0, end).toString('latin1');
    const img: RgbImage = {
      width: Number(/WIDTH (\d+)/.exec(head)?.[1]),
      height: Number(/HEIGHT (\d+)/.exec(head)?.[1]),
      data: new Uint8Array(pam.subarray(end + 7)),
    };
    const r = await this.reader.recognize(img);
    // The reader sometimes drops a separator ("0154:38"): the digits are what counts.
    const all = r.text.replace(/\D/g, '');
    const d = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(all);
    // The digits as read (YYYYMMDDHHMMSS, or one or two short or long: it drops or doubles one now
    // and then, "11:0:07" for 11:30:07), when read with confidence (even if no real date).
    const digits = all.length >= 12 && all.length <= 16 && r.confidence >= 0.8 ? all : undefined;
    const ms = d && digits ? Date.parse(`${d[1]}-${d[2]}-${d[3]}T${d[4]}:${d[5]}:${d[6]}Z`) : undefined;
    return { ms: Number.isNaN(ms) ? undefined : ms, digits, text: r.text, confidence: r.confidence };
  }

  close(): Promise<void> {
    return this.reader.close();
  }
}
