import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { decodeImageFile } from '../../models/image.js';
import { ModelRuntime } from '../verification/model-runtime.js';
import { commonOptions, configFrom, type Verb } from './common.js';

export const plateVerb: Verb = {
  name: 'plate',
  summary: 'read the number plate in an image (PaddleOCR) and print it as JSON',
  usage: 'plate IMAGE',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: commonOptions,
      allowPositionals: true,
      strict: true,
    });
    const image = positionals[0];
    if (!image || positionals.length > 1) throw new Error('give exactly one IMAGE file');
    if (!existsSync(image)) throw new Error(`image ${image} does not exist`);
    const { config } = configFrom(values);
    const img = await decodeImageFile(image);
    // The service's model runtime: the same pool, models and config keys as the checkpoint reader.
    const runtime = new ModelRuntime(config.models, config.storage.dataDir);
    try {
      const reader = await runtime.plates();
      const t0 = performance.now();
      const read = await reader.read(img);
      const out = {
        image,
        plate: read.plate ?? null,
        confidence: Math.round(read.confidence * 1e4) / 1e4,
        ms: Math.round((performance.now() - t0) * 10) / 10,
        lines: read.lines.map((l) => ({
          text: l.text,
          confidence: Math.round(l.confidence * 1e4) / 1e4,
          box: [l.box.x, l.box.y, l.box.w, l.box.h].map((v) => Math.round(v)),
        })),
      };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return read.plate ? 0 : 1;
    } finally {
      await runtime.close();
    }
  },
};
