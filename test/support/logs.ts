/** The JSON log lines Powertools prints while `work` runs: to stdout/stderr in Lambda mode, through console in dev mode. */
export function logged(work: () => void): Record<string, unknown>[] {
  const capture = startCapture();
  try {
    work();
  } finally {
    capture.stop();
  }
  return capture.lines();
}

/** As `logged`, for work that awaits (a handler invocation): the lines printed until it has settled. */
export async function loggedAsync(work: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const capture = startCapture();
  try {
    await work();
  } finally {
    capture.stop();
  }
  return capture.lines();
}

function startCapture(): { stop: () => void; lines: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const keep = (chunk: unknown): true => {
    lines.push(String(chunk));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(keep),
    jest.spyOn(process.stderr, 'write').mockImplementation(keep),
    ...(['debug', 'info', 'warn', 'error', 'log'] as const).map((level) =>
      jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void keep(args.map(String).join(' '))),
    ),
  ];
  return {
    stop: () => {
      for (const spy of spies) spy.mockRestore();
    },
    // One log line per write or console call (pretty-printed over several lines in dev mode).
    lines: () => lines.filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** The lines printed from the start of `work` until `until` holds for them (work that logs later, e.g. from a timer). */
export async function loggedUntil(
  work: () => Promise<unknown> | unknown,
  until: (lines: Record<string, unknown>[]) => boolean,
  timeoutMs = 5000,
): Promise<Record<string, unknown>[]> {
  const capture = startCapture();
  try {
    await work();
    for (const deadline = Date.now() + timeoutMs; !until(capture.lines()); await new Promise((r) => setTimeout(r, 10))) {
      if (Date.now() > deadline) throw new Error(`the awaited log line did not come within ${timeoutMs} ms`);
    }
  } finally {
    capture.stop();
  }
  return capture.lines();
}
