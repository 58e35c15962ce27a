/**
 * TAP or KTAP that a test prints about itself, as nodes of the cell's
 * tree: a command's (kselftest's runner prints TAP 13, some of its tests
 * KTAP), read by the same parser as the kernel's KUnit results. What a
 * result line says is a node's own verdict; a node with subtests is also
 * the worst of theirs.
 */
import type { KtapDocument, KtapNode } from '../console/ktap.js';
import { childPath, type TestPath } from '../matrix/test-path.js';
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

/** The document's top-level tests as children of `parent`, and why the document is not whole, if it is not. */
export function tapChildren(doc: KtapDocument, parent: TestPath): { children: UnjudgedNode[]; reasons: string[] } {
  const children = doc.root.children.map((node) => tapNode(node, parent));
  const planned = doc.root.plan;
  const reasons = planned !== null && planned > children.length ? [`${planned - children.length} of ${planned} planned tests never reported`] : [];
  return { children, reasons };
}

function tapNode(ktap: KtapNode, parent: TestPath): UnjudgedNode {
  // a result without a name goes by its directive's reason (kselftest.h's "ok 3 # SKIP CLOCK_TAI" names the case there), else its number
  const name = ktap.name || ktap.directive?.reason || `#${ktap.number ?? '?'}`;
  const path = childPath(parent, name);
  const children = ktap.children.map((c) => tapNode(c, path));
  const own = ownVerdict(ktap);
  const reasons: string[] = [];
  if (ktap.result === null) reasons.push('never reported a result (the output ended inside it)');
  if (ktap.result === 'not ok') reasons.push(ktap.log.find((l) => l.startsWith('# '))?.slice(2) ?? 'reported not ok');
  if (ktap.directive?.kind === 'SKIP') reasons.push(`skipped${ktap.directive.reason ? `: ${ktap.directive.reason}` : ''}`);
  return {
    name,
    path,
    verdict: children.length > 0 ? worst(foldVerdicts(children.map((c) => c.verdict)), own) : own,
    reasons,
    log: [...ktap.log],
    ...(ktap.logDropped ? { logDropped: ktap.logDropped } : {}),
    children,
  };
}
