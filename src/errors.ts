/**
 * Errors carry a prefix naming the part that failed and structured data, after MQTT.js's
 * ErrorWithReasonCode and go2rtc's "rtsp: ..." messages.
 */
export class SharpeyesError extends Error {
  readonly prefix: string;
  readonly data: Record<string, unknown>;

  constructor(
    prefix: string,
    message: string,
    data: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(`${prefix}: ${message}`, options);
    this.name = 'SharpeyesError';
    this.prefix = prefix;
    this.data = data;
  }
}

/** An error an HTTP client caused: it maps to a 4xx JSON body `{error: {code, message}}`. */
export class HttpError extends SharpeyesError {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string, data: Record<string, unknown> = {}) {
    super('http', message, data);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
