// The text form of GVariant values that `gsettings get` / `list-recursively` print (GLib's
// g_variant_print): strings in '…' or "…" with C-like escapes, integers (optionally preceded by
// a type word such as `uint32`), booleans, and arrays of those (`[…]`, `@as []` when empty).
// Only what org.gnome.system.proxy uses is understood; anything else is null.

export type GVariantValue = string | number | boolean | GVariantValue[];

class Reader {
  pos = 0;
  constructor(readonly text: string) {}
  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }
  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', a: '\x07', '\\': '\\', "'": "'", '"': '"' };

function readString(r: Reader): string | null {
  const quote = r.text[r.pos]!;
  r.pos++;
  let out = '';
  while (r.pos < r.text.length) {
    const c = r.text[r.pos++]!;
    if (c === quote) return out;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = r.text[r.pos++];
    if (e === undefined) return null;
    if (e in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[e];
    else if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      const hex = r.text.slice(r.pos, r.pos + len);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) return null;
      out += String.fromCodePoint(parseInt(hex, 16));
      r.pos += len;
    } else out += e; // GLib keeps unknown escapes' character
  }
  return null;
}

function readValue(r: Reader): GVariantValue | null {
  r.skipSpace();
  const rest = r.text.slice(r.pos);
  // A type annotation: "@as []", "uint32 8080".
  const annotation = /^(@[a-z()]+|u?int(16|32|64)|byte|int16|uint16|double|string|boolean)\s+/.exec(rest);
  if (annotation) {
    r.pos += annotation[0].length;
    return readValue(r);
  }
  const c = r.text[r.pos];
  if (c === "'" || c === '"') return readString(r);
  if (c === '[') {
    r.pos++;
    const items: GVariantValue[] = [];
    r.skipSpace();
    if (r.text[r.pos] === ']') {
      r.pos++;
      return items;
    }
    for (;;) {
      const item = readValue(r);
      if (item === null) return null;
      items.push(item);
      r.skipSpace();
      const sep = r.text[r.pos++];
      if (sep === ']') return items;
      if (sep !== ',') return null;
    }
  }
  const word = /^(true|false|-?\d+)/.exec(rest);
  if (!word) return null;
  r.pos += word[0].length;
  if (word[0] === 'true') return true;
  if (word[0] === 'false') return false;
  return Number(word[0]);
}

/** Parses one printed GVariant value; null when it is not of the supported kinds. */
export function parseGVariantText(text: string): GVariantValue | null {
  const r = new Reader(text);
  const value = readValue(r);
  return value !== null && r.atEnd() ? value : null;
}
