import { randomBytes } from 'node:crypto';
import { request } from 'node:http';

/** Status of a bare Engine.IO polling handshake (GET /socket.io/?EIO=4&transport=polling). */
export async function pollingHandshakeStatus(baseUrl: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(`${baseUrl}/socket.io/?EIO=4&transport=polling`, { headers });
  return { status: res.status, body: await res.text() };
}

/** Status (101 when upgraded) and body of a bare WebSocket handshake. */
export function websocketHandshake(baseUrl: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const url = new URL('/socket.io/?EIO=4&transport=websocket', baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
