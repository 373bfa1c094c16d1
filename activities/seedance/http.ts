/**
 * The axios instance every provider call goes through. Base URL and Authorization scheme are
 * configuration, so the same code talks to the gateway (raw key, as in the seeds) and to
 * Ark/ModelArk directly (`Bearer`).
 */
import axios, { isAxiosError, type AxiosInstance } from 'axios';

export type AuthScheme = 'raw' | 'bearer';

/**
 * The most the worker reads of one provider answer. Every answer is a small JSON document
 * (a task is a few KiB); a body beyond this is hostile or broken, and reading it whole took
 * a worker to 2 GB. Exceeding it is `ResponseTooLarge`.
 */
export const MAX_PROVIDER_RESPONSE_BYTES = 4 * 1024 * 1024;

/** The provider's limit on one request body (docs/provider/notes.md, "Inputs": under 64 MB); a larger one is never sent. */
export const MAX_PROVIDER_REQUEST_BYTES = 64 * 1024 * 1024;

/** What replaces the API key wherever the provider echoes it. */
export const REDACTED = '[redacted]';

export interface ProviderHttpConfig {
  baseUrl: string;
  apiKey: string;
  authScheme: AuthScheme;
  /** Per-request timeout. Short: every call here is a quick JSON exchange. */
  timeoutMs: number;
}

export function authorizationHeader(apiKey: string, scheme: AuthScheme): string {
  return scheme === 'bearer' ? `Bearer ${apiKey}` : apiKey;
}

/**
 * Replaces the key in text (raw, and so also in its `Bearer <key>` form). Keys shorter than
 * 6 characters are left alone, as the log redactor does: replacing them would mangle text.
 */
export function keyRedactor(apiKey: string): (text: string) => string {
  const key = apiKey.trim();
  if (key.length < 6) return (text) => text;
  return (text) => (text.includes(key) ? text.split(key).join(REDACTED) : text);
}

function redactBody(data: unknown, redact: (text: string) => string): unknown {
  if (typeof data === 'string') return redact(data);
  if (Buffer.isBuffer(data)) return redact(data.toString('utf8'));
  return data;
}

export function createProviderHttp(config: ProviderHttpConfig): AxiosInstance {
  const http = axios.create({
    baseURL: config.baseUrl.replace(/\/+$/, ''),
    timeout: config.timeoutMs,
    headers: {
      Authorization: authorizationHeader(config.apiKey, config.authScheme),
      'Content-Type': 'application/json',
      Accept: 'application/json',
    },
    // Bodies are parsed by our zod schemas, not trusted to axios' guess; raw text keeps
    // HTML and empty error bodies intact for the error message.
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    // Bounded both ways: a hostile or broken answer cannot fill the worker's memory (see
    // provider-error.ts for how an oversized answer is classified), and a request over the
    // provider's limit fails before it is sent.
    maxContentLength: MAX_PROVIDER_RESPONSE_BYTES,
    maxBodyLength: MAX_PROVIDER_REQUEST_BYTES,
    // Redirects could carry the Authorization header to another host.
    maxRedirects: 0,
    // The activity decides what a status means.
    validateStatus: (s) => s >= 200 && s < 300,
  });
  // A provider that echoes the key (raw or `Bearer <key>`) in an answer must not put it into
  // an error, and so into history, the manifest, the report or a terminal. Every answer, good
  // or bad, is redacted here, whole and before anything parses or truncates it (a truncated
  // key would survive as a prefix). The key stays in this closure and the request headers;
  // it is never part of a payload.
  const redact = keyRedactor(config.apiKey);
  http.interceptors.response.use(
    (res) => {
      res.data = redactBody(res.data, redact);
      return res;
    },
    (err: unknown) => {
      if (isAxiosError(err) && err.response) err.response.data = redactBody(err.response.data, redact);
      return Promise.reject(err);
    },
  );
  return http;
}
