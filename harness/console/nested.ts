/**
 * A nested kvmtool boot has one console: the host's. The host agent relays
 * lkvm's stdout (the guest's serial console) and stderr behind the prefixes
 * below, one whole line per write; anything else is the host's own output.
 * The prefixes must match harness/guest/agent/agent.h.
 */
export const GUEST_LINE_PREFIX = 'guest| ';
export const LKVM_LINE_PREFIX = 'lkvm| ';

export interface NestedConsole {
  /** The host kernel's and host agent's lines. */
  host: string;
  /** The guest's serial console, prefixes removed. */
  guest: string;
  /** What lkvm wrote to its stderr, prefixes removed. */
  lkvm: string[];
}

export function splitNestedConsole(text: string): NestedConsole {
  const host: string[] = [];
  const guest: string[] = [];
  const lkvm: string[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const raw of lines) {
    // the host tty turns \n into \r\n
    const line = raw.replace(/^\r+/, '').replace(/\r+$/, '');
    if (line.startsWith(GUEST_LINE_PREFIX)) guest.push(line.slice(GUEST_LINE_PREFIX.length));
    else if (line.startsWith(LKVM_LINE_PREFIX)) lkvm.push(line.slice(LKVM_LINE_PREFIX.length));
    else host.push(line);
  }
  const joined = (ls: string[]) => (ls.length ? `${ls.join('\n')}\n` : '');
  return { host: joined(host), guest: joined(guest), lkvm };
}
