import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL cluster on 127.0.0.1, Debian's server run by hand
 * (initdb, pg_ctl) in a folder of its own: no service, nothing left after
 * stop(). PostgreSQL refuses to run as root, so as root the cluster is the
 * postgres user's (or nobody's).
 */
export interface PostgresServer {
  /** A URL of a database made for the caller: one per test keeps tests apart. */
  database(name: string): Promise<string>;
  stop(): void;
}

/** Where Debian puts the server's programs; none when postgresql is not installed. */
export function postgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

/** Why the PostgreSQL tests cannot run here, or null when they can. */
export function postgresMissing(): string | null {
  return postgresBin() ? null : "no PostgreSQL server here (Debian's postgresql-15; `npm test` installs it)";
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin();
  if (!bin) throw new Error(postgresMissing()!);
  const dir = mkdtempSync(join(tmpdir(), 'kvmatrix-pg-'));
  const data = join(dir, 'data');
  const asUser = serverUser();
  if (asUser) chownSync(dir, asUser.uid, asUser.gid);
  const run = (program: string, args: string[]) =>
    execFileSync(
      asUser ? 'setpriv' : join(bin, program),
      asUser ? [`--reuid=${asUser.uid}`, `--regid=${asUser.gid}`, '--clear-groups', join(bin, program), ...args] : args,
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
    );
  const port = await freePort();
  run('initdb', ['-D', data, '-U', 'kvmatrix', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'server.log'),
    '-o',
    `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`,
    '-w',
    'start',
  ]);
  const base = `postgres://kvmatrix@127.0.0.1:${port}`;
  return {
    async database(name) {
      const client = new pg.Client({ connectionString: `${base}/postgres` });
      await client.connect();
      try {
        await client.query(`create database "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return `${base}/${name}`;
    },
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    try {
      const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim()));
      return { uid: uid!, gid: gid! };
    } catch {
      // no such user: try the next
    }
  }
  throw new Error('running as root, with neither a postgres nor a nobody user to run PostgreSQL as');
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
