/**
 * How `--test` reads, in the kinds' own words, for the CLI's help: kept
 * apart from the kinds themselves so that printing help loads none of them.
 */
export const TEST_GLOB_HELP =
  'only the tests this glob names, by their dotted path (kunit.list-kunit-test.*, probe.rng2): KUnit runs only those suites and cases, and the verdict is theirs';
