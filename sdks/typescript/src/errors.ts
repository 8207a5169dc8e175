import type { ErrorBody } from './types.js';

/** keyward answered with a non-2xx status; `body` is its common error body. */
export class KeywardError extends Error {
  readonly status: number;
  readonly code: string;
  readonly body: ErrorBody;

  constructor(status: number, body: ErrorBody) {
    super(`${body.code}: ${body.message}`);
    this.name = 'KeywardError';
    this.status = status;
    this.code = body.code;
    this.body = body;
  }
}

/** keyward could not be reached, or its answer could not be read. */
export class KeywardUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeywardUnavailableError';
  }
}

/** A non-2xx answer whose body is not keyward's, in keyward's shape. */
export function foreignError(status: number, text: string): ErrorBody {
  return {
    statusCode: status,
    error: 'Unexpected response',
    code: 'UNEXPECTED_RESPONSE',
    message: text.slice(0, 200) || `status ${status}`,
  };
}

export function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.message === 'string';
}
