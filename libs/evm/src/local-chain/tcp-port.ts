// TCP port probes, so a local chain never attaches by accident to another process's port.
import { createServer } from 'node:net';

export interface IsPortFreeParams {
  readonly host: string;
  readonly port: number;
}

/** True when `host:port` can be bound right now (it may be taken again before anyone else binds it). */
export async function isPortFree({ host, port }: IsPortFreeParams): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

export interface FindFreePortParams {
  readonly host?: string;
}

/** Asks the OS for a currently free port on `host` (default 127.0.0.1). */
export async function findFreePort({ host = '127.0.0.1' }: FindFreePortParams = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => {
        if (port === undefined) {
          reject(new Error('the OS did not report the probed port'));
          return;
        }
        resolve(port);
      });
    });
  });
}
