import { z } from 'zod';

export const httpSchema = z
  .strictObject({
    host: z.string().default('127.0.0.1').describe('Address the HTTP server binds to.'),
    port: z.number().int().min(0).max(65535).default(8080).describe('HTTP port; 0 picks a free one.'),
    publicUrl: z.string().optional().describe('URL printed for the console; defaults to http://host:port.'),
  })
  .describe('HTTP API, console and live video.');
