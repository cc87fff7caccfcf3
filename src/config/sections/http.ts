import { z } from 'zod';

export const httpSchema = z
  .strictObject({
    host: z.string().default('127.0.0.1').describe('Address the HTTP server binds to.'),
    port: z.number().int().min(0).max(65535).default(8080).describe('HTTP port; 0 picks a free one.'),
    publicUrl: z.string().optional().describe('URL printed for the console; defaults to http://host:port.'),
    tls: z
      .strictObject({
        cert: z.string().min(1).describe('PEM certificate chain file (server certificate first).'),
        key: z.string().min(1).describe('PEM private key file.'),
        minVersion: z
          .enum(['TLSv1.2', 'TLSv1.3'])
          .default('TLSv1.2')
          .describe('Oldest TLS version accepted.'),
      })
      .optional()
      .describe('Serve HTTPS (and wss:// live video) with this certificate instead of plain HTTP.'),
    contentSecurityPolicy: z
      .string()
      .min(1)
      .optional()
      .describe("Replaces the console's default Content-Security-Policy (e.g. to allow a map tile server)."),
  })
  .describe('HTTP API, console and live video.');
