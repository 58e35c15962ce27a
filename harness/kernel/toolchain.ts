import { runCommand, succeeded } from '../host/command.js';

const known = new Map<string, Promise<string | null>>();

/**
 * The cross toolchain's identity for cache keys: the first line of
 * `<cross>gcc --version` and `<cross>ld --version`. Null when the compiler
 * is not installed. Asked once per process.
 */
export function toolchainVersion(crossCompile: string): Promise<string | null> {
  let pending = known.get(crossCompile);
  if (!pending) {
    pending = (async () => {
      const [gcc, ld] = await Promise.all([
        runCommand([`${crossCompile}gcc`, '--version'], { tailLines: 100 }),
        runCommand([`${crossCompile}ld`, '--version'], { tailLines: 100 }),
      ]);
      if (!succeeded(gcc) || !succeeded(ld)) return null;
      return `${gcc.tail[0] ?? ''} | ${ld.tail[0] ?? ''}`;
    })();
    known.set(crossCompile, pending);
  }
  return pending;
}

/** Whether ccache is installed, asked once per process. */
let ccache: Promise<boolean> | undefined;
export function ccacheAvailable(): Promise<boolean> {
  ccache ??= runCommand(['ccache', '--version'], { tailLines: 1 }).then(succeeded);
  return ccache;
}
