/** The JSON log lines Powertools prints while `work` runs: to stdout/stderr in Lambda mode, through console in dev mode. */
export function logged(work: () => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const keep = (chunk: unknown) => void lines.push(String(chunk));
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (keep(chunk), true)),
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (keep(chunk), true)),
    ...(['debug', 'info', 'warn', 'error', 'log'] as const).map((level) =>
      jest.spyOn(console, level).mockImplementation((...args: unknown[]) => keep(args.map(String).join(' '))),
    ),
  ];
  try {
    work();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  // One log line per write or console call (pretty-printed over several lines in dev mode).
  return lines.filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}
