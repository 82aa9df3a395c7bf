import WebSocket from 'ws';

/** The inspector URL a process started with `--inspect=127.0.0.1:0` printed, if any. */
export function inspectorUrl(output: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
}

/**
 * Runs a full garbage collection in another Node process through its inspector
 * (HeapProfiler.collectGarbage), so a heap figure taken next counts live objects only.
 */
export function collectGarbage(url: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer from the inspector at ${url}`));
    }, timeoutMs);
    ws.once('open', () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
    ws.on('message', (data) => {
      const reply = JSON.parse(String(data)) as { id?: number; error?: { message: string } };
      if (reply.id !== 1) return;
      clearTimeout(timer);
      ws.close();
      if (reply.error) reject(new Error(reply.error.message));
      else resolve();
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
