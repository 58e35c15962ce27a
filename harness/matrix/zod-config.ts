/**
 * zod's settings for the schemas of matrix, kernel and results files, set
 * on import: English messages, no generated code. Both schema modules import
 * it, as either can be loaded without the other.
 *
 * zod/mini rather than the chained API: the schemas are built at every start,
 * before a cell's VMM is spawned, and a chained schema carries some fifty
 * methods of its own (building the matrix schema took 8-13 ms; with mini
 * about half, for the same core checks and messages). Mini has no locale of
 * its own: without `en` every message would read "Invalid input". Each file
 * is parsed once per command, and zod's generated fast path costs more to
 * compile (about 5 ms a schema) than it saves on one small document.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config({ ...en(), jitless: true });
