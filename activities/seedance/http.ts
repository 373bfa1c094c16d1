/**
 * The axios instance every provider call goes through. Base URL and Authorization scheme are
 * configuration, so the same code talks to the gateway (raw key, as in the seeds) and to
 * Ark/ModelArk directly (`Bearer`).
 */
import axios, { type AxiosInstance } from 'axios';

export type AuthScheme = 'raw' | 'bearer';

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

export function createProviderHttp(config: ProviderHttpConfig): AxiosInstance {
  return axios.create({
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
    // Redirects could carry the Authorization header to another host.
    maxRedirects: 0,
    // The activity decides what a status means.
    validateStatus: (s) => s >= 200 && s < 300,
  });
}
