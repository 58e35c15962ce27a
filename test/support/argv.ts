/** The values of every occurrence of a flag in an argv: `-device x -device y` gives [x, y]. */
export function flagValues(argv: readonly string[], flag: string): string[] {
  return argv.flatMap((a, i) => (a === flag ? [argv[i + 1]!] : []));
}
