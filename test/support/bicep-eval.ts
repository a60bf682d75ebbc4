import type { Node } from 'web-tree-sitter';
import { bicepValue, parseBicep, syntaxErrors, type BicepValue } from './deployment-files';

/** A deployment stopped by Bicep's fail(), with the message the operator reads. */
export class BicepFail extends Error {}

type Scope = ReadonlyMap<string, BicepValue>;

function kids(node: Node): Node[] {
  return node.namedChildren.filter((c): c is Node => c !== null);
}

function operator(node: Node, left: Node, right: Node): string {
  return node.text.slice(left.endIndex - node.startIndex, right.startIndex - node.startIndex).trim();
}

const isEmpty = (v: BicepValue): boolean =>
  v === null ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && v !== null && Object.keys(v).length === 0);

/**
 * Evaluates the small part of Bicep our parameter checks use (ternaries, ==, !=, &&, ||, !, empty(),
 * fail(), parameter references, literals), as ARM does at deployment: short-circuiting, so fail() stops
 * the deployment only on the branch taken.
 */
export function evaluate(node: Node, scope: Scope): BicepValue {
  const [a, b, c] = kids(node);
  switch (node.type) {
    case 'parenthesized_expression':
      return evaluate(a as Node, scope);
    case 'ternary_expression':
      return evaluate(a as Node, scope) === true ? evaluate(b as Node, scope) : evaluate(c as Node, scope);
    case 'unary_expression':
      return !(evaluate(a as Node, scope) === true);
    case 'binary_expression': {
      const op = operator(node, a as Node, b as Node);
      const left = evaluate(a as Node, scope);
      if (op === '&&') return left === true && evaluate(b as Node, scope) === true;
      if (op === '||') return left === true || evaluate(b as Node, scope) === true;
      const right = evaluate(b as Node, scope);
      if (op === '==') return JSON.stringify(left) === JSON.stringify(right);
      if (op === '!=') return JSON.stringify(left) !== JSON.stringify(right);
      throw new Error(`operator ${op} is not evaluated here`);
    }
    case 'call_expression': {
      const name = a?.text;
      const args = kids(b as Node).map((arg) => evaluate(arg, scope));
      if (name === 'empty') return isEmpty(args[0] ?? null);
      if (name === 'fail')
        throw new BicepFail(typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]));
      throw new Error(`function ${name} is not evaluated here`);
    }
    case 'identifier': {
      if (!scope.has(node.text)) throw new Error(`${node.text} has no value`);
      return scope.get(node.text) ?? null;
    }
    default:
      return bicepValue(node);
  }
}

/** The value node of a top-level `var NAME = …` of a Bicep file. */
export async function variableExpression(text: string, name: string): Promise<Node> {
  const tree = await parseBicep(text);
  const declaration = kids(tree.rootNode).find(
    (n) => n.type === 'variable_declaration' && kids(n)[0]?.text === name,
  );
  const value = declaration === undefined ? undefined : kids(declaration)[1];
  if (value === undefined) throw new Error(`no var ${name}`);
  return value;
}

export interface BicepParamFile {
  using: string;
  values: Map<string, BicepValue>;
  syntaxErrors: string[];
}

/**
 * Reads a .bicepparam file. tree-sitter-bicep does not know `param NAME = value`, so each assignment is
 * read as the `var` it is shaped like; the values are then plain Bicep literals.
 */
export async function readBicepParams(text: string): Promise<BicepParamFile> {
  const using = /^using\s+'([^']+)'\s*$/m.exec(text)?.[1] ?? '';
  const asBicep = text.replace(/^using\s+.*$/m, '').replace(/^param\s+(\w+)\s*=/gm, 'var $1 =');
  const tree = await parseBicep(asBicep);
  const values = new Map<string, BicepValue>();
  for (const n of kids(tree.rootNode).filter((d) => d.type === 'variable_declaration')) {
    const [id, value] = kids(n);
    if (id !== undefined && value !== undefined) values.set(id.text, bicepValue(value));
  }
  return { using, values, syntaxErrors: syntaxErrors(tree) };
}
