// node --import this file: every ES module the process loads is appended,
// one file: URL a line, to the file named by KVMATRIX_MODULE_TRACE
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
