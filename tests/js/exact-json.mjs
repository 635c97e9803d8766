// JSON with exact numbers, for the corpus cases marked `exact_numbers` (integers beyond ±2^53,
// which `JSON.parse` rounds). Numbers are kept as their source text in a `RawNumber`; strings,
// arrays and objects are plain JS values. Used by the tests only; works in Node and browsers.

/** A JSON number kept as written. */
export class RawNumber {
  constructor(raw) {
    this.raw = raw;
  }
}

/** Parses JSON text keeping every number's text. Throws SyntaxError on bad input. */
export function parseExact(text) {
  let i = 0;
  const fail = (what) => {
    throw new SyntaxError(`exact JSON: ${what} at offset ${i}`);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r\uFEFF'.includes(text[i])) i++;
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const key = string();
        ws();
        if (text[i] !== ':') fail('expected `:`');
        i++;
        obj[key] = value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail('expected `,` or `}`');
      }
    }
    if (c === '[') {
      i++;
      const arr = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail('expected `,` or `]`');
      }
    }
    if (c === '"') return string();
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (m !== null && m[0] !== '') {
      i += m[0].length;
      return new RawNumber(m[0]);
    }
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return fail('unexpected character');
  };
  const string = () => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail('unterminated string');
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const v = value();
  ws();
  if (i !== text.length) fail('text after the value');
  return v;
}

/** JSON text of a value, numbers kept exact. */
export function stringifyExact(v) {
  if (v instanceof RawNumber) return v.raw;
  if (Array.isArray(v)) return `[${v.map(stringifyExact).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${stringifyExact(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The same value with plain (possibly rounded) JS numbers. */
export function toPlain(v) {
  if (v instanceof RawNumber) return Number(v.raw);
  if (Array.isArray(v)) return v.map(toPlain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]));
  return v;
}

function isNumber(v) {
  return typeof v === 'number' || v instanceof RawNumber;
}

function numberText(v) {
  return v instanceof RawNumber ? v.raw : String(v);
}

/** Whether two numbers are equal by value: integers exactly (BigInt), others as doubles; -0 equals 0. */
function sameNumber(a, b) {
  const [x, y] = [numberText(a), numberText(b)];
  const integer = /^-?[0-9]+$/;
  if (integer.test(x) && integer.test(y)) return BigInt(x) === BigInt(y);
  return Number(x) === Number(y);
}

/** Deep equality of JSON values where numbers compare by value (exactly for RawNumbers). */
export function sameJson(a, b) {
  if (isNumber(a) || isNumber(b)) return isNumber(a) && isNumber(b) && sameNumber(a, b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, k) => sameJson(x, b[k]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
  }
  return a === b;
}
