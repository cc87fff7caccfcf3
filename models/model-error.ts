/** Errors of the model library carry the `models` prefix and data, like the service's SharpeyesError. */
export class ModelError extends Error {
  readonly data: Record<string, unknown>;

  constructor(message: string, data: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(`models: ${message}`, options);
    this.name = 'ModelError';
    this.data = data;
  }
}
