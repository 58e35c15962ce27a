import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = (res: ServerResponse) => void;

/**
 * A local HTTP server on 127.0.0.1 for download tests: each path answers
 * with its route; any other path is a 404. Counts the requests it serves.
 */
export async function serveRoutes(
  routes: Record<string, Route>,
): Promise<{ url: (path: string) => string; hits: Map<string, number>; close(): Promise<void> }> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes[path];
    if (route) route(res);
    else {
      res.writeHead(404, 'Not Found');
      res.end('no such file\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A whole body with its length. */
export function body(data: Buffer): Route {
  return (res) => {
    res.writeHead(200, { 'content-length': String(data.length), 'content-type': 'application/octet-stream' });
    res.end(data);
  };
}

/** Announces the whole length, sends half, then drops the connection. */
export function brokenOff(data: Buffer): Route {
  return (res) => {
    res.writeHead(200, { 'content-length': String(data.length) });
    res.write(data.subarray(0, data.length >> 1), () => res.destroy());
  };
}
