// Which progress a command shows. Apart from live-progress.ts: its terminal
// libraries take some 35 ms to load, which a command that writes plain
// lines (CI, a pipe) should not pay.

/**
 * Live progress only on a terminal and outside CI (`CI` set to anything
 * but "", "0" or "false"). A pseudo-terminal that reports 0 rows would
 * show nothing of the block: it gets plain lines too.
 */
export function wantsLiveProgress(stream: { isTTY?: boolean; rows?: number }, env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI !== undefined && !['', '0', 'false'].includes(env.CI.toLowerCase());
  return stream.isTTY === true && stream.rows !== 0 && !ci;
}
