/** A reader for the flat XML documents the API answers with (elements and text, nothing else). */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

const TOKEN = /<\?[^>]*\?>|<(\/?)([A-Za-z_][\w.-]*)\s*(\/?)>|([^<]+)/g;

export function parseXml(document: string): XmlElement {
  const root: XmlElement = { name: '#root', children: [], text: '' };
  const stack = [root];
  for (const match of document.matchAll(TOKEN)) {
    const [whole, closing, name, selfClosing, text] = match;
    if (whole.startsWith('<?')) continue;
    const top = stack[stack.length - 1]!;
    if (text !== undefined) {
      top.text += decodeEntities(text);
    } else if (closing) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
    } else {
      const element: XmlElement = { name: name!, children: [], text: '' };
      top.children.push(element);
      if (!selfClosing) stack.push(element);
    }
  }
  if (stack.length !== 1 || root.children.length !== 1) throw new Error('not one well-formed document');
  return root.children[0]!;
}

export function child(element: XmlElement, name: string): XmlElement {
  const found = element.children.find((c) => c.name === name);
  if (!found) throw new Error(`<${element.name}> has no <${name}>: ${names(element).join(', ')}`);
  return found;
}

export function text(element: XmlElement, name: string): string {
  return child(element, name).text;
}

export function names(element: XmlElement): string[] {
  return element.children.map((c) => c.name);
}

function decodeEntities(value: string): string {
  return value
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
