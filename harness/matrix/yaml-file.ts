import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type * as z from 'zod/mini';
import { formatKeyPath, InputError, type InputLocation } from './input-error.js';
import { recallValidated, rememberValidated, type ValidatedMemo } from './validated-memo.js';

/** A file's data, checked against its schema. */
export interface LoadedYaml<T> {
  data: T;
  /** Where a key path lies in the file, for errors found after validation. */
  locate(path: PropertyKey[]): InputLocation;
}

/** One kind of file kvmatrix reads, and its schema, built when first needed. */
export interface FileSchema<S extends z.ZodMiniType> {
  /** The kind of file, as a memo tells kinds apart: "matrix", "kernel". */
  kind: string;
  schema: () => S;
}

/**
 * Parses YAML text and validates it against a schema. Every error, of syntax
 * or of shape, becomes one InputError with file:line:col and the key path.
 */
export function parseYamlWithSchema<S extends z.ZodMiniType>(text: string, file: string, schema: S): LoadedYaml<z.output<S>> {
  const { doc, lineCounter } = parseYaml(text, file);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    // an alias to no anchor, or aliases that expand past the limit (a "billion laughs")
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    throw new InputError(`YAML aliases: ${message.replace(/:$/, '')}`, { file });
  }
  const result = schema.safeParse(data);
  if (result.success) return { data: result.data, locate: locator(file, () => ({ doc, lineCounter })) };

  const issue = result.error.issues[0]!;
  let path = issue.path as PropertyKey[];
  const message = describeIssue(issue);
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) {
    path = [...path, issue.keys[0]!];
  }
  const where = locate(doc, lineCounter, path, issue.code === 'unrecognized_keys' || issue.code === 'invalid_key');
  throw new InputError(message, {
    file,
    ...where,
    ...(path.length > 0 ? { keyPath: formatKeyPath(path) } : {}),
  });
}

/**
 * Reads and validates a file, or takes what an earlier run validated from
 * the same text (validated-memo.ts): then neither the YAML is parsed nor
 * the schema built, unless an error found later asks where a key lies.
 */
export function loadYamlFile<S extends z.ZodMiniType>(
  file: string,
  shape: FileSchema<S>,
  memo?: ValidatedMemo | null,
): LoadedYaml<z.output<S>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no such file' : `cannot read: ${String(error)}`, {
      file,
    });
  }
  const kept = memo ? recallValidated(memo, shape.kind, text) : undefined;
  if (kept !== undefined) return { data: kept as z.output<S>, locate: locator(file, () => parseYaml(text, file)) };
  const loaded = parseYamlWithSchema(text, file, shape.schema());
  if (memo) rememberValidated(memo, shape.kind, text, loaded.data);
  return loaded;
}

interface ParsedYaml {
  doc: Document;
  lineCounter: LineCounter;
}

/** The document, or an InputError at the first syntax error. */
function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = syntax.linePos?.[0];
    const firstLine = syntax.message.split('\n')[0] ?? syntax.message;
    throw new InputError(firstLine.replace(/ at line \d+, column \d+:?$/, ''), {
      file,
      ...(pos ? { line: pos.line, col: pos.col } : {}),
    });
  }
  return { doc, lineCounter };
}

/** LoadedYaml's locate, over a document parsed when a location is first asked for. */
function locator(file: string, parsed: () => ParsedYaml): LoadedYaml<unknown>['locate'] {
  let yaml: ParsedYaml | undefined;
  return (path) => {
    yaml ??= parsed();
    return {
      file,
      ...locate(yaml.doc, yaml.lineCounter, path, false),
      ...(path.length > 0 ? { keyPath: formatKeyPath(path) } : {}),
    };
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return `unknown key ${keys}`;
  }
  if (issue.code === 'invalid_key' && issue.issues[0]) {
    return `key ${issue.issues[0].message}`;
  }
  if (issue.code === 'invalid_type' && issue.expected === 'string' && /number/.test(issue.message)) {
    return 'expected a string, got a number: quote it (YAML reads 6.10 as the number 6.1)';
  }
  return issue.message;
}

/**
 * The position of the deepest node on `path` that exists: a missing key is
 * reported at the map that should hold it. For an unknown key, its key node.
 */
function locate(doc: Document, lineCounter: LineCounter, path: PropertyKey[], atKey: boolean): { line?: number; col?: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth);
    let node: Node | null | undefined;
    if (atKey && depth === path.length && depth > 0) {
      const parent = prefix.length > 1 ? doc.getIn(prefix.slice(0, -1), true) : doc.contents;
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === prefix[prefix.length - 1]);
        node = pair?.key as Node | undefined;
      }
    } else {
      node = depth === 0 ? doc.contents : (doc.getIn(prefix, true) as Node | undefined);
    }
    const offset = node?.range?.[0];
    if (offset !== undefined) {
      const pos = lineCounter.linePos(offset);
      return { line: pos.line, col: pos.col };
    }
  }
  return {};
}
