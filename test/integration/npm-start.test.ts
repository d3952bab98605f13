/** `npm start` as a user runs it: two instances on different ports, real processes, every way of stopping it. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../local/ports';
import { basic, sleep, TestClient } from '../support/harness';

interface Instance {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly port: number;
}

async function start(env: Record<string, string>, viaNpm = false): Promise<Instance> {
  const port = await freePort();
  const root = join(__dirname, '..', '..');
  const [command, args] = viaNpm
    ? ['npm', ['start']]
    : [process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'local', 'start.ts')]];
  const child = spawn(command as string, args as string[], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 600 && !out.includes('Ready.'); i++) {
    if (child.exitCode !== null) throw new Error(`npm start exited: ${out}`);
    await sleep(50);
  }
  if (!out.includes('Ready.')) throw new Error(`npm start did not get ready: ${out}`);
  return { child, output: () => out, port };
}

async function stop(instance: Instance): Promise<number | null> {
  if (instance.child.exitCode !== null) return instance.child.exitCode;
  const exited = new Promise<number | null>((resolve) => instance.child.once('exit', (code) => resolve(code)));
  instance.child.kill('SIGINT');
  return exited;
}

describe('npm start', () => {
  let own: Instance | undefined;
  let shared: Instance | undefined;
  afterAll(async () => {
    for (const i of [own, shared]) if (i) await stop(i);
  });

  it('runs two instances on different ports, serves /api/2 and /ws/2 with auth, and stops cleanly on Ctrl-C', async () => {
    // One starts its own DynamoDB Local, the other uses an existing one (DYNAMODB_ENDPOINT).
    [own, shared] = await Promise.all([start({ DYNAMODB_ENDPOINT: '' }), start({ DYNAMODB_ENDPOINT: process.env.TEST_DYNAMODB_ENDPOINT! })]);
    for (const instance of [own, shared]) {
      expect(instance.output()).toContain(`http://127.0.0.1:${instance.port}/api/2`);
      expect(instance.output()).toContain(`ws://127.0.0.1:${instance.port}/ws/2`);
      const put = await fetch(`http://127.0.0.1:${instance.port}/api/2/things/org.start:lamp-${instance.port}`, {
        method: 'PUT',
        headers: { authorization: basic('ditto', 'ditto'), 'content-type': 'application/json' },
        body: '{}',
      });
      expect(put.status).toBe(201);
      expect((await fetch(`http://127.0.0.1:${instance.port}/api/2/things/org.start:lamp-${instance.port}`)).status).toBe(401);
      const token = /Dev token for local:alice[^\n]*\n\s*(\S+)/.exec(instance.output())![1]!;
      const client = await TestClient.connect(`ws://127.0.0.1:${instance.port}/ws/2`, { auth: `Bearer ${token}` });
      await client.subscribe();
      await client.close();
    }
    const dynamoPort = Number(/DynamoDB Local:\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(own.output())![1]);
    expect(await stop(own)).toBe(0);
    expect(await stop(shared)).toBe(0);
    // Ctrl-C stopped the instance's own DynamoDB Local too.
    await expect(fetch(`http://127.0.0.1:${dynamoPort}`, { method: 'POST', signal: AbortSignal.timeout(1000) })).rejects.toThrow();
  }, 90_000);
});

const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('stopping npm start', () => {
  it.each([
    ['SIGTERM to npm', (npm: number) => process.kill(npm, 'SIGTERM')],
    ['SIGHUP to the node process', (_npm: number, node: number) => process.kill(node, 'SIGHUP')],
    ['the death of its parent (npm killed outright)', (npm: number) => process.kill(npm, 'SIGKILL')],
  ])(
    '%s stops the gateway and DynamoDB Local and frees their ports',
    async (_how, kill) => {
      const instance = await start({ DYNAMODB_ENDPOINT: '' }, true);
      const npm = instance.child.pid!;
      const node = childrenOf(npm)[0]!;
      const java = childrenOf(node)[0]!;
      expect([node, java].every(alive)).toBe(true);
      const dynamoPort = Number(/DynamoDB Local:\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(instance.output())![1]);
      kill(npm, node);
      for (let i = 0; i < 200 && (alive(node) || alive(java)); i++) await sleep(50);
      expect({ node: alive(node), java: alive(java) }).toEqual({ node: false, java: false });
      for (const port of [instance.port, dynamoPort]) {
        await expect(fetch(`http://127.0.0.1:${port}`, { signal: AbortSignal.timeout(1000) })).rejects.toThrow();
      }
    },
    60_000,
  );
});
