/**
 * One HTTP request to a connection target. The address rule is checked on the address actually
 * connected to: IP literals before connecting, host names inside the socket's DNS lookup (so a
 * name that resolves to a private address at delivery time, or rebinds after the connection was
 * saved, is refused). Redirects are not followed; the body read is bounded; the request ends at
 * its timeout.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { urlToHttpOptions } from 'node:url';
import type { AddressPolicy } from '../core/targets/addresses';

export interface PushRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
  readonly validateCertificates: boolean;
  /** Largest response body read; a larger one fails the request. */
  readonly maxResponseBytes: number;
}

export interface PushResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The target's address is refused by the address rule (not retried: it will not change by itself). */
export class AddressRefusedError extends Error {
  constructor(
    readonly host: string,
    reason: string,
  ) {
    super(`The target host '${host}' may not be reached: ${reason}.`);
    this.name = 'AddressRefusedError';
  }
}

const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** A DNS lookup that fails unless every address the name resolves to is allowed. */
function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = addresses.map((a) => policy.refusal(a.address)).find((r) => r !== undefined);
      if (refused !== undefined || addresses.length === 0) {
        return callback(new AddressRefusedError(hostname, refused ?? 'it resolves to no address'), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * Resolves the host now and checks it (saving a connection; the delivery checks again). An IP literal goes through the
 * same lookup, which answers it with itself.
 */
export async function checkTargetHost(url: URL, policy: AddressPolicy): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    guardedLookup(policy)(hostOf(url), {}, (error) => {
      if (error) reject(error);
      else resolve();
    }),
  );
}

export function push(req: PushRequest, policy: AddressPolicy): Promise<PushResponse> {
  const host = hostOf(req.url);
  if (isIP(host) !== 0) {
    const refused = policy.refusal(host);
    if (refused !== undefined) return Promise.reject(new AddressRefusedError(host, refused));
  }
  const send = req.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PushResponse>((resolve, reject) => {
    // One options object, not (url, options, callback): agent-base 4 (a dependency of Ditto's JavaScript client) replaces
    // https.request process-wide with a two-argument wrapper, which would take the options for the callback.
    const outgoing = send(
      {
        ...urlToHttpOptions(req.url),
        method: req.method,
        headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
        lookup: guardedLookup(policy),
        rejectUnauthorized: req.validateCertificates,
        agent: false,
      },
      (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > req.maxResponseBytes) {
            res.destroy(new Error(`The response body exceeds ${req.maxResponseBytes} bytes.`));
            return;
          }
          parts.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      },
    );
    // The whole exchange is bounded, which also bounds any silence in it (so no socket inactivity timeout of its own).
    const timer = setTimeout(() => outgoing.destroy(new Error(`No response within ${req.timeoutMs} ms.`)), req.timeoutMs);
    outgoing.on('error', reject);
    outgoing.on('close', () => clearTimeout(timer));
    outgoing.end(req.body);
  });
}
