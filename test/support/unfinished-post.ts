import { request } from 'node:http';

/**
 * Sends the headers and 1 kB of a 4 MB body, and never the rest: resolves with the status the
 * server answers, and fails when it waits for the body (an unauthenticated caller made it read it).
 */
export function unfinishedPost(url: string, token?: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': String(4 * 1024 * 1024),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${url}: no answer before the body ended (the body was read first)`));
    }, 3000);
    req.on('response', (res) => {
      clearTimeout(timer);
      resolve(res.statusCode ?? 0);
      res.resume();
      req.destroy();
    });
    req.on('error', () => undefined);
    req.write('x'.repeat(1024));
  });
}
