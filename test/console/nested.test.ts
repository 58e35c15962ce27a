import t from 'tap';
import { splitNestedConsole } from '../../harness/console/nested.js';

t.test('host, guest and lkvm lines are told apart by the relay prefixes', async (t) => {
  const text = [
    '[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x000f0510]\r',
    'KVMATRIX/1 0 begin agent=1 role=host #00000000\r',
    'guest| [    0.000000] Linux version 6.1.192\r',
    '\rguest| KVMATRIX/1 0 begin agent=1 role=guest #00000000\r',
    'lkvm| Warning: something\r',
    'guest|no space is not a guest line\r',
    '',
  ].join('\n');
  const split = splitNestedConsole(text);
  t.same(split.guest, '[    0.000000] Linux version 6.1.192\nKVMATRIX/1 0 begin agent=1 role=guest #00000000\n');
  t.same(split.lkvm, ['Warning: something']);
  t.match(split.host, /^\[    0\.000000\] Booting Linux/);
  t.match(split.host, /role=host/);
  t.match(split.host, /guest\|no space/);
  t.notMatch(split.host, /role=guest/);
});

t.test('an empty console splits into nothing', async (t) => {
  t.same(splitNestedConsole(''), { host: '', guest: '', lkvm: [] });
});
