import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Language, Parser, type Node, type Tree } from 'web-tree-sitter';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

/** Reads the deployment files (Bicep, Kubernetes, compose, Dockerfile) as data for the deployment tests. */
export const REPO_ROOT = join(__dirname, '..', '..');

export function repoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

/** Repository-relative paths of the files under `dir` whose names end with one of `suffixes`. */
export function filesUnder(dir: string, suffixes: string[]): string[] {
  const found: string[] = [];
  const walk = (abs: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = join(abs, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (suffixes.some((s) => entry.name.endsWith(s))) found.push(relative(REPO_ROOT, path));
    }
  };
  walk(join(REPO_ROOT, dir));
  return found.sort();
}

/** Variables the platform or the SDKs read that are not the rotator's own configuration. */
export const IDENTITY_VARIABLES = [
  'AZURE_CLIENT_ID',
  'AZURE_TENANT_ID',
  'AZURE_FEDERATED_TOKEN_FILE',
  'AZURE_AUTHORITY_HOST',
] as const;
/** Read by Node itself: where temp files go (the emulator's CA), the production flag, V8's heap options. */
export const NODE_VARIABLES = ['TMPDIR', 'NODE_ENV', 'NODE_OPTIONS'] as const;

export function isTelemetryVariable(name: string): boolean {
  return /^OTEL_[A-Z0-9_]+$/.test(name) || /^APPLICATIONINSIGHTS_[A-Z0-9_]+$/.test(name);
}

// ---------------------------------------------------------------- Bicep

let parser: Promise<Parser> | undefined;

/** tree-sitter-bicep through web-tree-sitter: a syntax check without the Bicep CLI. */
export function bicepParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    // Bytes, not a path: loading by path takes a dynamic import that jest's VM does not allow.
    const wasm = readFileSync(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm'));
    const language = await Language.load(new Uint8Array(wasm));
    const p = new Parser();
    p.setLanguage(language);
    return p;
  })();
  return parser;
}

export async function parseBicep(text: string): Promise<Tree> {
  const tree = (await bicepParser()).parse(text);
  if (tree === null) throw new Error('tree-sitter returned no tree');
  return tree;
}

/** Every ERROR or MISSING node as `line:column text`. */
export function syntaxErrors(tree: Tree): string[] {
  const errors: string[] = [];
  const walk = (node: Node): void => {
    if (node.isError || node.isMissing)
      errors.push(`${node.startPosition.row + 1}:${node.startPosition.column + 1} ${node.text.slice(0, 60)}`);
    for (const child of node.children) if (child !== null) walk(child);
  };
  walk(tree.rootNode);
  return errors;
}

/** An expression the tests do not evaluate (a reference, a function call), kept as its source text. */
export class BicepExpression {
  constructor(readonly text: string) {}
}

export type BicepValue =
  string | number | boolean | null | BicepExpression | BicepValue[] | { [key: string]: BicepValue };

export type BicepObject = { [key: string]: BicepValue };

/** A value as text: strings as they are, expressions as their source, the rest as JSON. */
export function bicepText(value: BicepValue | undefined): string {
  if (typeof value === 'string') return value;
  if (value instanceof BicepExpression) return value.text;
  return JSON.stringify(value) ?? '';
}

function named(node: Node): Node[] {
  return node.namedChildren.filter((c): c is Node => c !== null);
}

/** A literal as a JS value; strings with interpolation and all other expressions as BicepExpression. */
export function bicepValue(node: Node): BicepValue {
  switch (node.type) {
    case 'string': {
      const parts = named(node);
      if (parts.some((p) => p.type === 'interpolation')) return new BicepExpression(node.text);
      return parts.map((p) => (p.type === 'escape_sequence' ? p.text.slice(1) : p.text)).join('');
    }
    case 'number':
      return Number(node.text);
    case 'boolean':
      return node.text === 'true';
    case 'null':
      return null;
    case 'array':
      return named(node).map(bicepValue);
    case 'object': {
      const result: BicepObject = {};
      for (const property of named(node).filter((c) => c.type === 'object_property')) {
        const [key, value] = named(property);
        if (key === undefined || value === undefined) continue;
        result[key.type === 'string' ? bicepText(bicepValue(key)) : key.text] = bicepValue(value);
      }
      return result;
    }
    default:
      return new BicepExpression(node.text);
  }
}

export function descendants(node: Node, type: string): Node[] {
  return node.descendantsOfType(type).filter((n): n is Node => n !== null);
}

/** Every object literal in the file, outermost first. */
export function bicepObjects(tree: Tree): BicepObject[] {
  return descendants(tree.rootNode, 'object').map((n) => bicepValue(n) as BicepObject);
}

export interface BicepParameter {
  name: string;
  type: string;
  decorators: string[];
  /** The default's source text, if any. */
  defaultText: string | undefined;
  defaultValue: BicepValue | undefined;
}

export interface BicepDeclaration {
  kind: 'resource' | 'module' | 'output' | 'variable';
  name: string;
  /** The resource type or module path (resources, modules). */
  type: string | undefined;
  text: string;
  /** A reference to a resource deployed elsewhere (`resource x '…' existing = {…}`). */
  existing: boolean;
  body: BicepValue | undefined;
}

function decoratorsOf(node: Node): string[] {
  const previous = node.previousNamedSibling;
  if (previous === null || previous.type !== 'decorators') return [];
  return named(previous).map((d) => d.text.replace(/^@/, ''));
}

export function bicepParameters(tree: Tree): BicepParameter[] {
  return named(tree.rootNode)
    .filter((n) => n.type === 'parameter_declaration')
    .map((n) => {
      const [id, type, value] = named(n);
      return {
        name: id?.text ?? '',
        type: type?.text ?? '',
        decorators: decoratorsOf(n),
        defaultText: value?.text,
        defaultValue: value === undefined ? undefined : bicepValue(value),
      };
    });
}

const DECLARATIONS = {
  resource_declaration: 'resource',
  module_declaration: 'module',
  output_declaration: 'output',
  variable_declaration: 'variable',
} as const;

/** Top-level resources, modules, outputs and variables. */
export function bicepDeclarations(tree: Tree): BicepDeclaration[] {
  return named(tree.rootNode).flatMap((n) => {
    const kind = DECLARATIONS[n.type as keyof typeof DECLARATIONS];
    if (kind === undefined) return [];
    const [id, second] = named(n);
    const objectNode = descendants(n, 'object')[0];
    return [
      {
        kind,
        name: id?.text ?? '',
        type: kind === 'resource' || kind === 'module' ? bicepText(second && bicepValue(second)) : undefined,
        text: n.text,
        existing: kind === 'resource' && /^resource\s+\w+\s+'[^']+'\s+existing\b/.test(n.text),
        body: objectNode === undefined ? undefined : bicepValue(objectNode),
      },
    ];
  });
}

export interface BicepFile {
  path: string;
  text: string;
  tree: Tree;
  parameters: BicepParameter[];
  declarations: BicepDeclaration[];
  objects: BicepObject[];
}

export async function loadBicepFiles(): Promise<BicepFile[]> {
  const paths = filesUnder('bicep', ['.bicep']);
  return Promise.all(
    paths.map(async (path) => {
      const text = repoFile(path);
      const tree = await parseBicep(text);
      return {
        path,
        text,
        tree,
        parameters: bicepParameters(tree),
        declarations: bicepDeclarations(tree),
        objects: bicepObjects(tree),
      };
    }),
  );
}

export function isObject(value: BicepValue | undefined): value is BicepObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof BicepExpression)
  );
}

// ---------------------------------------------------------------- YAML (Kubernetes, compose)

export interface ManifestDocument {
  path: string;
  doc: Record<string, unknown>;
}

export function kubernetesDocuments(dir = 'deploy/kubernetes'): ManifestDocument[] {
  return filesUnder(dir, ['.yaml', '.yml'])
    .filter((path) => !path.endsWith('kustomization.yaml'))
    .flatMap((path) =>
      parseAllDocuments(repoFile(path)).map((d) => ({ path, doc: d.toJS() as Record<string, unknown> })),
    );
}

export function readYaml(path: string): unknown {
  // merge: compose's `<<: *anchor` keys are YAML 1.1 merges.
  return parseYaml(repoFile(path), { merge: true }) as unknown;
}

// ---------------------------------------------------------------- Dockerfile

export interface DockerInstruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions with continuation lines joined and comments dropped. */
export function dockerInstructions(text: string): DockerInstruction[] {
  const instructions: DockerInstruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (pending === undefined && (line.trim() === '' || line.trim().startsWith('#'))) return;
    if (pending !== undefined && line.trim().startsWith('#')) return;
    const joined = pending === undefined ? line : `${pending.text} ${line.trim()}`;
    const start = pending?.line ?? index + 1;
    if (joined.endsWith('\\')) {
      pending = { text: joined.slice(0, -1).trimEnd(), line: start };
      return;
    }
    pending = undefined;
    const match = /^\s*(\S+)\s*(.*)$/.exec(joined);
    if (match)
      instructions.push({ keyword: (match[1] as string).toUpperCase(), args: match[2] ?? '', line: start });
  });
  return instructions;
}

/** The instructions of the last stage (from its FROM on). */
export function finalStage(instructions: DockerInstruction[]): DockerInstruction[] {
  const lastFrom = instructions.map((i) => i.keyword).lastIndexOf('FROM');
  return instructions.slice(lastFrom);
}

/** An exec-form (JSON array) or shell-form instruction argument as words. */
export function commandWords(args: string): string[] {
  const trimmed = args.trim();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as string[];
  return trimmed.split(/\s+/);
}
