import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface InternalRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface InternalResponse {
  status: number;
  text: string;
}

/**
 * One request between dotm's own processes (controller → node, controller → controller), answered
 * in full. node:http rather than fetch: fetch parses HTTP with undici's llhttp in WebAssembly, and
 * compiling it on a process's first fetch leaves 13–20 MiB of compiler memory resident (measured:
 * RSS +18.6 MiB after a first fetch, +2.4 MiB after a first http.request), a cost every controller
 * would pay for its first OTM. node:http's parser is built in. Rejects on a network error or when no
 * complete answer came in `timeoutMs`.
 */
export function internalRequest(url: URL, options: InternalRequest): Promise<InternalResponse> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, { method: options.method ?? 'GET', headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const timer = setTimeout(
      () => request.destroy(new Error(`no answer in ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(options.body);
  });
}

export function isSuccess(response: InternalResponse): boolean {
  return response.status >= 200 && response.status <= 299;
}
