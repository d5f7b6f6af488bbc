/**
 * A tiny SVG element tree: what the shared drawing code builds instead of DOM nodes. The webview turns
 * it into elements (createElementNS + setAttribute + textContent), the CLI serializes it to text, so
 * both draw exactly the same structure. No DOM here.
 */
export interface SvgNode {
  tag: string;
  /** Attributes in the order they were set (serialization keeps it). */
  attributes: [string, string][];
  children: SvgNode[];
  /** Text content (only on leaves such as <text> and <title>). */
  text?: string;
}

export function svgNode(tag: string, attributes: Record<string, string | number> = {}, parent?: SvgNode): SvgNode {
  const node: SvgNode = { tag, attributes: Object.entries(attributes).map(([name, value]) => [name, String(value)]), children: [] };
  parent?.children.push(node);
  return node;
}

export function textNode(tag: 'text' | 'tspan' | 'title' | 'style', attributes: Record<string, string | number>, content: string, parent?: SvgNode): SvgNode {
  const node = svgNode(tag, attributes, parent);
  node.text = content;
  return node;
}

export function attribute(node: SvgNode, name: string): string | undefined {
  return node.attributes.find(([n]) => n === name)?.[1];
}

export function setAttribute(node: SvgNode, name: string, value: string | number): void {
  const existing = node.attributes.find(([n]) => n === name);
  if (existing) existing[1] = String(value);
  else node.attributes.push([name, String(value)]);
}

/** Every node of the tree, depth first, the root included. */
export function* walk(node: SvgNode): Generator<SvgNode> {
  yield node;
  for (const child of node.children) yield* walk(child);
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
export function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => escapes[c]);
}

/** Serializes as XML (any text in the tree stays text: everything is escaped). */
export function serializeSvg(node: SvgNode, options: { namespace?: boolean; omit?: (name: string) => boolean } = {}): string {
  const parts: string[] = [];
  const write = (n: SvgNode, root: boolean): void => {
    parts.push(`<${n.tag}`);
    if (root && options.namespace) parts.push(' xmlns="http://www.w3.org/2000/svg"');
    for (const [name, value] of n.attributes) if (!options.omit?.(name)) parts.push(` ${name}="${escapeXml(value)}"`);
    if (n.children.length === 0 && n.text === undefined) {
      parts.push('/>');
      return;
    }
    parts.push('>');
    if (n.text !== undefined) parts.push(escapeXml(n.text));
    for (const child of n.children) write(child, false);
    parts.push(`</${n.tag}>`);
  };
  write(node, true);
  return parts.join('');
}
