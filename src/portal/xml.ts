/** Just enough XML for BigBlueButton's flat response documents. */

const ELEMENT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function escapeXml(text: string): string {
  return xmlChars(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** `<name>value</name>`; names come from code or from validated metadata keys, never raw input. */
export function el(name: string, value: string | number | boolean): string {
  if (!ELEMENT_NAME.test(name)) throw new Error(`not an XML element name: ${name}`);
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function parent(name: string, children: readonly string[]): string {
  if (!ELEMENT_NAME.test(name)) throw new Error(`not an XML element name: ${name}`);
  return `<${name}>${children.join('')}</${name}>`;
}

/** Metadata and custom data as child elements, dropping entries whose key is not a usable element name. */
export function mapElements(name: string, entries: Record<string, string>): string {
  return parent(
    name,
    Object.entries(entries)
      .filter(([key]) => ELEMENT_NAME.test(key))
      .map(([key, value]) => el(key, value)),
  );
}

export function xmlDocument(children: readonly string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${parent('response', children)}`;
}

/** Drops what XML 1.0 cannot carry at all: control characters, lone surrogates, U+FFFE and U+FFFF. */
function xmlChars(text: string): string {
  let kept = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    const allowed =
      code < 0x20
        ? code === 0x09 || code === 0x0a || code === 0x0d
        : (code < 0xd800 || code > 0xdfff) && code !== 0xfffe && code !== 0xffff;
    if (allowed) kept += ch;
  }
  return kept;
}
