/**
 * The provider's error answers: `{"error": {"code", "message", "type"}}` for the API, and the
 * object storage's XML for output links (which are signed URLs, not API calls).
 */
import { jsonResponse, type SimResponse } from './http-io';

/** An API error response. */
export function apiError(
  status: number,
  code: string,
  message: string,
  type: string,
  headers: Record<string, string | number> = {},
): SimResponse {
  return jsonResponse(status, { error: { code, message, type } }, headers);
}

/** The error answers the simulator gives, by situation. */
export const errors = {
  unauthorized: (): SimResponse =>
    apiError(401, 'AuthenticationError', 'The API key in the Authorization header is missing or invalid.', 'Unauthorized'),
  rateLimited: (retryAfterSeconds: number | null | undefined): SimResponse =>
    apiError(
      429,
      'RateLimitExceeded',
      'The request has exceeded the rate limit of your account. Please try again later.',
      'TooManyRequests',
      retryAfterSeconds === null || retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
    ),
  internal: (message = 'The service encountered an unexpected internal error.'): SimResponse =>
    apiError(500, 'InternalServiceError', message, 'InternalServerError'),
  invalidParameter: (message: string): SimResponse => apiError(400, 'InvalidParameter', message, 'BadRequest'),
  inputPolicy: (): SimResponse =>
    apiError(
      400,
      'InputTextSensitiveContentDetected',
      'The request failed because the input text may contain sensitive information.',
      'BadRequest',
    ),
  insufficientBalance: (): SimResponse => apiError(403, 'AccountOverdueError', 'insufficient balance', 'Forbidden'),
  accessDenied: (): SimResponse => apiError(403, 'AccessDenied', 'You do not have permission to access this resource.', 'Forbidden'),
  taskNotFound: (id: string): SimResponse => apiError(404, 'ResourceNotFound', `The specified task ${id} is not found.`, 'NotFound'),
  routeNotFound: (method: string, path: string): SimResponse => apiError(404, 'NotFound', `No route for ${method} ${path}.`, 'NotFound'),
  notCancellable: (id: string): SimResponse =>
    apiError(
      400,
      'InvalidAction.TaskNotCancellable',
      `The task ${id} is running and cannot be cancelled; only queued tasks can.`,
      'BadRequest',
    ),
};

/** The standard body for a scripted fault status that came without a body of its own. */
export function errorForStatus(status: number, retryAfterSeconds?: number): SimResponse {
  const retry: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
  switch (status) {
    case 400:
      return apiError(400, 'InvalidParameter', 'Simulated bad request.', 'BadRequest', retry);
    case 401:
      return apiError(401, 'AuthenticationError', 'Simulated authentication error.', 'Unauthorized', retry);
    case 403:
      return apiError(403, 'AccessDenied', 'Simulated permission error.', 'Forbidden', retry);
    case 404:
      return apiError(404, 'ResourceNotFound', 'Simulated missing resource.', 'NotFound', retry);
    case 429:
      return errors.rateLimited(retryAfterSeconds);
    default:
      return status >= 500
        ? apiError(status, 'InternalServiceError', `Simulated server error ${status}.`, 'InternalServerError', retry)
        : apiError(status, 'SimulatedError', `Simulated error ${status}.`, 'Error', retry);
  }
}

/** An object-storage style error for output links (403 expired, 404 missing). */
export function storageError(status: 403 | 404, code: 'AccessDenied' | 'NoSuchKey', message: string): SimResponse {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>\n`;
  return { status, headers: { 'content-type': 'application/xml' }, body: xml };
}
