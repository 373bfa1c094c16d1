/**
 * Minimal HTTP plumbing: handlers build a `SimResponse` value instead of writing to the
 * socket themselves, so that a fault can still decide to drop, cut or delay the answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, Readable } from 'node:stream';

/** A response not yet written. */
export interface SimResponse {
  status: number;
  headers?: Record<string, string | number>;
  body?: string | Buffer | Readable;
}

/** The largest request body accepted; the provider's own limit is 64 MB. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** A JSON response with its content type. */
export function jsonResponse(status: number, value: unknown, headers: Record<string, string | number> = {}): SimResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}

/** A raw text response, typed by a sniff of its first character (HTML, JSON or plain). */
export function rawResponse(status: number, text: string, headers: Record<string, string | number> = {}): SimResponse {
  const first = text.trimStart()[0];
  const type =
    first === '<' ? 'text/html; charset=utf-8' : first === '{' || first === '[' ? 'application/json' : 'text/plain; charset=utf-8';
  return { status, headers: { 'content-type': type, ...headers }, body: text };
}

/** Reads a request body; `tooLarge` when it exceeded `limit` (the rest is drained, not kept). */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<{ body: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) tooLarge = true;
    else chunks.push(buf);
  }
  return { body: Buffer.concat(chunks), tooLarge };
}

/**
 * Writes a response; stream bodies must come with their `content-length` header.
 * For HEAD, only the headers go out and a stream body is released unread.
 */
export function sendResponse(res: ServerResponse, r: SimResponse, head = false): void {
  if (res.headersSent || res.destroyed) {
    discardResponse(r);
    return;
  }
  const body = r.body;
  const headers = { ...r.headers };
  if (body instanceof Readable) {
    res.writeHead(r.status, headers);
    if (head) {
      body.destroy();
      res.end();
      return;
    }
    // Errors here mean the client went away; there is nobody left to tell.
    pipeline(body, res, () => undefined);
    return;
  }
  const bytes = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body);
  headers['content-length'] = bytes.length;
  res.writeHead(r.status, headers);
  res.end(head ? undefined : bytes);
}

/**
 * Sends the headers (with the full length) and only the first half of the body, then drops
 * the connection: the truncated download a storage copier must detect.
 */
export async function sendTruncated(res: ServerResponse, r: SimResponse): Promise<void> {
  if (res.headersSent || res.destroyed) return;
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : (r.body ?? Buffer.alloc(0));
  const declared = Buffer.isBuffer(body) ? body.length : Number(r.headers?.['content-length'] ?? 0);
  const keep = Math.floor(declared / 2);
  res.writeHead(r.status, { ...r.headers, 'content-length': declared });
  let sent = 0;
  const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
  for await (const chunk of source) {
    const buf = (chunk as Buffer).subarray(0, keep - sent);
    if (buf.length > 0) await writeFlushed(res, buf);
    sent += buf.length;
    if (sent >= keep) break;
  }
  source.destroy();
  res.destroy();
}

function writeFlushed(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => res.write(chunk, () => resolve()));
}

/** Discards a response that will never be sent, releasing its stream if it has one. */
export function discardResponse(r: SimResponse): void {
  if (r.body instanceof Readable) r.body.destroy();
}
