/** One push to the URL given, in a process of its own (push.test.ts): prints the status and lets the process end. */
import { AddressPolicy } from '../../lambdas/core/targets/addresses';
import { push } from '../../lambdas/gateway/push';

const [url, timeoutMs] = process.argv.slice(2);
void push(
  { url: new URL(url!), method: 'POST', headers: {}, body: '{}', timeoutMs: Number(timeoutMs), validateCertificates: true, maxResponseBytes: 1024 },
  new AddressPolicy(['127.0.0.0/8']),
).then((res) => console.log(res.status));
