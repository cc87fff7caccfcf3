import { z } from 'zod';
import { idSchema } from './jurisdictions.js';

export const cameraSchema = z
  .strictObject({
    id: idSchema.describe('Camera id.'),
    name: z.string().optional().describe('Display name.'),
    site: idSchema.describe('Site the camera watches.'),
    onvif: z
      .strictObject({
        url: z.string().describe('ONVIF device service URL.'),
        username: z.string().optional(),
        password: z.string().optional().describe('Use ${ENV}.'),
      })
      .optional(),
    rtsp: z.string().optional().describe('RTSP URL of an RTSP-only camera (credentials may be in the URL).'),
    preroll: z.number().min(0).max(300).default(30).describe('Seconds of footage kept before an alarm.'),
    postroll: z.number().min(0).max(600).default(30).describe('Seconds of footage kept after an alarm.'),
    videoLossSeconds: z
      .number()
      .min(1)
      .max(3600)
      .default(10)
      .describe('No frames for this long raises video_loss for the site; frames again raise video_restore.'),
  })
  .refine((c) => Boolean(c.onvif) !== Boolean(c.rtsp), {
    message: 'a camera needs exactly one of onvif or rtsp',
  });
export type CameraConfig = z.infer<typeof cameraSchema>;

export const camerasSchema = z.array(cameraSchema).default([]).describe('Cameras.');
