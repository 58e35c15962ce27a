import fc from 'fast-check';
import t from 'tap';
import {
  childPath,
  distinctNames,
  escapePart,
  globMatchesPath,
  pathNames,
  testGlobProblem,
  testPath,
  unescapePart,
} from '../../harness/matrix/test-path.js';

t.test('plain names are their own path parts; others are escaped byte by byte', async (t) => {
  t.equal(testPath('kunit', 'list-kunit-test', 'list_test_list_add'), 'kunit.list-kunit-test.list_test_list_add');
  t.equal(escapePart('len=16, offset=3'), 'len__3d16__2c__20offset__3d3');
  t.equal(escapePart('a.b'), 'a__2eb', 'a dot is escaped: it separates parts');
  t.equal(escapePart('ü'), '__c3__bc', 'UTF-8 bytes');
  t.equal(escapePart('a__b'), 'a__5f_b', 'an underscore before another is escaped');
  t.equal(escapePart(''), '__', 'an empty name is still a part');
  t.equal(childPath(testPath('kunit'), 'x y'), 'kunit.x__20y');
  t.same(pathNames(testPath('kunit', 'a.b', 'c d')), ['kunit', 'a.b', 'c d']);
});

t.test('property: every name escapes to parts of [A-Za-z0-9_-] only, and back to itself', async (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (name) => {
      const part = escapePart(name);
      return /^[A-Za-z0-9_-]+$/.test(part) && unescapePart(part) === name;
    }),
    { numRuns: 5000 },
  );
  t.pass();
});

t.test('property: two different names never share a part (underscores and escapes included)', async (t) => {
  const tricky = fc.string({ unit: fc.constantFrom('_', '_', '2', 'e', '.', ' ', 'a', '5', 'f'), maxLength: 12 });
  fc.assert(
    fc.property(tricky, tricky, (a, b) => a === b || escapePart(a) !== escapePart(b)),
    { numRuns: 20000 },
  );
  t.pass();
});

t.test('globs name a test or any of its ancestors; * matches across dots', async (t) => {
  const leaf = testPath('kunit', 'list-kunit-test', 'list_test_list_add');
  for (const glob of ['kunit', 'kunit.list-kunit-test', 'kunit.list-kunit-test.*', 'kunit.*add', '*', 'kunit.list-*.list_test_list_add']) {
    t.ok(globMatchesPath(glob, leaf), glob);
  }
  for (const glob of ['probe', 'kunit.list', 'kunit.list-kunit-test.list_test_list_del', 'unit.*']) {
    t.notOk(globMatchesPath(glob, leaf), glob);
  }
  t.notOk(globMatchesPath('kunit.list-kunit', testPath('kunit', 'list-kunit-test')), 'a part is matched whole');
  t.ok(globMatchesPath('probe.*2', testPath('probe', 'rng2')));
  t.notOk(globMatchesPath('probe.*2', testPath('probe', 'rng1')));
});

t.test('a glob with a character no path has, or an empty part, says so', async (t) => {
  t.equal(testGlobProblem('kunit.list-kunit-test.*'), null);
  t.match(
    testGlobProblem('kunit.a b'),
    /"a b" in "kunit.a b" holds a character a test path never has: write names escaped \(a space is __20/,
  );
  t.match(testGlobProblem('kunit..x'), /has an empty part/);
  t.match(testGlobProblem(''), /empty/);
});

t.test('distinct names stay linear: twenty thousand of one name and number are named in moments, every path its own', async (t) => {
  const siblings = Array.from({ length: 20_000 }, () => ({ name: 'x', number: 7 }));
  const started = Date.now();
  const names = distinctNames(siblings);
  t.ok(Date.now() - started < 2000, `${Date.now() - started} ms for 20000`);
  t.same(names.slice(0, 4), ['x', 'x#7', 'x#7-2', 'x#7-3']);
  t.equal(new Set(names.map((n) => childPath(testPath('command'), n))).size, names.length, 'no two on one path');
});
