import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { writeFileAtomic } from '../../harness/host/atomic-file.js';
import { tempTree } from '../support/temp-tree.js';

t.test('writeFileAtomic writes the whole file, and a write that fails leaves nothing behind', async (t) => {
  const dir = tempTree({});
  writeFileAtomic(join(dir, 'a.json'), '{"a":1}\n');
  t.equal(readFileSync(join(dir, 'a.json'), 'utf8'), '{"a":1}\n');
  t.same(readdirSync(dir), ['a.json'], 'no temporary file left');

  // a folder where the file should go: the rename fails after the write
  mkdirSync(join(dir, 'taken'));
  t.throws(() => writeFileAtomic(join(dir, 'taken'), 'x'), { code: 'EISDIR' });
  t.same(readdirSync(dir).sort(), ['a.json', 'taken'], 'the partial file is removed');
  t.throws(() => writeFileAtomic(join(dir, 'missing', 'b.json'), 'x'), { code: 'ENOENT' }, "a missing folder is the caller's error");
});
