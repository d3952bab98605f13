/**
 * The CloudFront Functions under Node, held to the cloudfront-js-2.0 runtime's documented subset:
 * a sandbox with no require, process, timers or network, the documented event shape, at most 10 KB.
 */
import { runInNewContext } from 'node:vm';
import { cloudFrontFunctionCode } from '../../lib/front-door';

type Qs = Record<string, { value: string; multiValue?: { value: string }[] }>;
interface Request {
  method: string;
  uri: string;
  querystring: Qs;
  headers: Record<string, { value: string }>;
  cookies: Record<string, { value: string }>;
}

function load(file: string, replacements: Record<string, string> = {}): (event: unknown) => any {
  const code = cloudFrontFunctionCode(file, replacements);
  expect(Buffer.byteLength(code)).toBeLessThanOrEqual(10 * 1024);
  expect(code).not.toMatch(/\b(require|import|process|setTimeout|fetch)\b/);
  const sandbox: { handler?: (event: unknown) => unknown } = {};
  runInNewContext(`${code}\nthis.handler = handler;`, sandbox);
  return sandbox.handler as (event: unknown) => any;
}

/** A viewer-request event as CloudFront documents it. */
const viewerRequest = (uri: string, querystring: Qs = {}): { version: string; context: object; viewer: object; request: Request } => ({
  version: '1.0',
  context: { distributionDomainName: 'd111111abcdef8.cloudfront.net', distributionId: 'EDFDVBD6EXAMPLE', eventType: 'viewer-request', requestId: 'r-1' },
  viewer: { ip: '198.51.100.11' },
  request: {
    method: 'GET',
    uri,
    querystring,
    headers: {
      host: { value: 'd111111abcdef8.cloudfront.net' },
      'sec-websocket-key': { value: 'dGhlIHNhbXBsZSBub25jZQ==' },
      authorization: { value: 'Bearer x' },
    },
    cookies: {},
  },
});

describe('ws-path: /ws/2 to the WebSocket stage', () => {
  const handler = load('ws-path.js', { __STAGE__: 'ws' });

  it.each(['/ws/2', '/ws/2/'])('rewrites %s to /ws and keeps query string and headers', (uri) => {
    const event = viewerRequest(uri, { access_token: { value: 'abc.def.ghi' } });
    const out = handler(event);
    expect(out.uri).toBe('/ws');
    expect(out.querystring).toEqual({ access_token: { value: 'abc.def.ghi' } });
    expect(out.headers['sec-websocket-key']).toEqual({ value: 'dGhlIHNhbXBsZSBub25jZQ==' });
    expect(out.headers.authorization).toEqual({ value: 'Bearer x' });
  });

  it.each(['/ws/2x', '/ws/2/extra', '/ws/3', '/ws'])('answers 404 for %s (API Gateway would say 403)', (uri) => {
    expect(handler(viewerRequest(uri))).toEqual({ statusCode: 404, statusDescription: 'Not Found' });
  });

  it('uses the stage it is given', () => {
    expect(load('ws-path.js', { __STAGE__: 'prod' })(viewerRequest('/ws/2')).uri).toBe('/prod');
  });
});

describe('console-index: static page paths', () => {
  const handler = load('console-index.js');

  it('serves index.html for directory paths and leaves files alone', () => {
    expect(handler(viewerRequest('/console/')).uri).toBe('/console/index.html');
    expect(handler(viewerRequest('/console/app.js')).uri).toBe('/console/app.js');
  });

  it('redirects /console to /console/ keeping the query string (access_token), without letting browsers cache that', () => {
    expect(handler(viewerRequest('/console', { access_token: { value: 't' } }))).toEqual({
      statusCode: 302,
      statusDescription: 'Found',
      headers: { location: { value: '/console/?access_token=t' }, 'cache-control': { value: 'no-store' } },
    });
    expect(handler(viewerRequest('/console')).headers.location.value).toBe('/console/');
  });

  it.each(['/consoleX', '/console.js', '/consoles/index.html'])('answers 404 for %s, which only looks like the console', (uri) => {
    expect(handler(viewerRequest(uri))).toEqual({ statusCode: 404, statusDescription: 'Not Found' });
  });
});
