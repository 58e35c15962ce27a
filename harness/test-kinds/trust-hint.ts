/** The cell's hint when a kind's results are not believed: how the agent vouches for each kind's. */
export const UNTRUSTED_HINT =
  "results are taken only as the agent vouches for them: KUnit's when it finds the same ones in the kernel's own log, a command's output when it adds up to the agent's count and crc; see the console log";
