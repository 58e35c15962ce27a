/**
 * TAP or KTAP that a test prints about itself, as nodes of the cell's
 * tree: a command's (kselftest's runner prints TAP 13, some of its tests
 * KTAP), read by the same parser as the kernel's KUnit results, every
 * document and every level of it. What a result line says is a node's
 * own verdict; a node with subtests is also the worst of theirs; a node
 * whose TAP does not add up (a plan not met, a result after its plan, a
 * second result) fails.
 */
import type { KtapDocument, KtapIssue, KtapNode } from '../console/ktap.js';
import { childPath, distinctNames, type TestPath } from '../matrix/test-path.js';
import { foldVerdicts, isFailing, type TestVerdict, type UnjudgedNode } from '../verdict/tree.js';

/** What a node's own result line says. */
export function ownVerdict(ktap: KtapNode): TestVerdict {
  if (ktap.result === null) return 'crashed';
  if (ktap.directive?.kind === 'SKIP') return 'skip';
  if (ktap.directive?.kind === 'TIMEOUT') return 'timeout';
  return ktap.result === 'ok' ? 'pass' : 'fail';
}

/** A failing own result beside passing children still fails the node. */
export function worst(folded: TestVerdict, own: TestVerdict): TestVerdict {
  if (isFailing(folded)) return folded;
  return isFailing(own) ? own : folded;
}

export interface TapReading {
  /** Every document's top-level tests, in order, as children of the parent. */
  children: UnjudgedNode[];
  /** Why the output's TAP cannot be taken as printed: a line after a document's end, a trailing plan that does not count, results without a plan. */
  problems: string[];
  /** Plans left short: tests a document planned that never reported. */
  short: string[];
}

/** The documents' top-level tests as children of `parent`, and what does not add up in them. */
export function tapChildren(docs: readonly KtapDocument[], parent: TestPath): TapReading {
  const tops = docs.flatMap((doc) => doc.root.children);
  const names = distinctNames(tops.map((node) => ({ name: nameOf(node), number: node.number })));
  const children = tops.map((node, i) => tapNode(node, names[i]!, parent));
  const problems: string[] = [];
  const short: string[] = [];
  for (const doc of docs) {
    const where = docs.length > 1 ? `the ${doc.version} document at output line ${doc.line}: ` : '';
    problems.push(...doc.root.issues.filter((i) => i.kind === 'structure').map((i) => `${where}${issueText(i)}`));
    const planned = doc.root.plan;
    const count = doc.root.children.length;
    if (planned === null && count > 0)
      problems.push(`${where}${count} result${count === 1 ? '' : 's'} without a plan: whether every test reported cannot be told`);
    if (planned !== null && planned > count) short.push(`${where}${planned - count} of ${planned} planned tests never reported`);
  }
  return { children, problems, short };
}

/** A result without a name goes by its directive's reason (kselftest.h's "ok 3 # SKIP CLOCK_TAI" names the case there), else its number. */
function nameOf(ktap: KtapNode): string {
  return ktap.name || ktap.directive?.reason || `#${ktap.number ?? '?'}`;
}

function tapNode(ktap: KtapNode, name: string, parent: TestPath): UnjudgedNode {
  const path = childPath(parent, name);
  const names = distinctNames(ktap.children.map((c) => ({ name: nameOf(c), number: c.number })));
  const children = ktap.children.map((c, i) => tapNode(c, names[i]!, path));
  let own = ownVerdict(ktap);
  const reasons: string[] = [];
  if (ktap.result === null) reasons.push('never reported a result (the output ended inside it)');
  if (ktap.result === 'not ok') reasons.push(ktap.log.find((l) => l.startsWith('# '))?.slice(2) ?? 'reported not ok');
  if (ktap.directive?.kind === 'SKIP') reasons.push(`skipped${ktap.directive.reason ? `: ${ktap.directive.reason}` : ''}`);
  const broken = ktap.issues.filter((i) => i.kind === 'structure');
  if (broken.length > 0 && !isFailing(own)) own = 'fail';
  reasons.unshift(...broken.map(issueText));
  const notes = ktap.issues.filter((i) => i.kind === 'note').map(issueText);
  return {
    name,
    path,
    verdict: children.length > 0 ? worst(foldVerdicts(children.map((c) => c.verdict)), own) : own,
    reasons,
    log: [...ktap.log],
    ...(ktap.logDropped ? { logDropped: ktap.logDropped } : {}),
    ...(notes.length ? { notes } : {}),
    children,
  };
}

function issueText(issue: KtapIssue): string {
  return `output line ${issue.line}: ${issue.text}`;
}
