//! Mutations of seed payloads, as a fuzzer makes them: flipped and inserted bytes, cut and
//! repeated ranges, and tokens of the format spliced in where they hurt most.
use proptest::collection::vec;
use proptest::prelude::*;

/// Tokens that break or bend XML in the ways parsers get wrong: entities, CDATA, DOCTYPE with
/// an entity, namespaces, deep nesting, escaping one level too many or too few.
pub const XML: &[&str] = &[
    "<",
    ">",
    "/>",
    "</",
    "&",
    "&amp;",
    "&lt;",
    "&gt;",
    "&quot;",
    "&#0;",
    "&#x10FFFF;",
    "&#xD800;",
    "&#99999999;",
    "&amp;lt;",
    "&amp;amp;lt;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<!DOCTYPE a [<!ENTITY e \"eeeeeeeeee\">]>",
    "&e;",
    "<?xml version=\"1.0\"?>",
    "\"",
    "'",
    "=",
    "xmlns:a=\"b\"",
    "a:b",
    "<x>",
    "</x>",
    "<x/>",
    " val=\"\"",
    "val=",
    "\u{0}",
    "\u{feff}",
    "99:99:99",
    "-1:00:00",
    "18446744073709551615",
    "NOT_IMPLEMENTED",
    "x-rincon:",
    "\r\n",
];

/// Tokens for JSON bodies: structure, odd numbers and strings, escapes.
pub const JSON: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "false",
    "0",
    "-0",
    "1e999",
    "-1e999",
    "1.5e308",
    "18446744073709551616",
    "-9223372036854775809",
    "\\u0000",
    "\\ud800",
    "\\\"",
    "\"\"",
    "[]",
    "{}",
    "NaN",
    "\u{0}",
    "\u{10ffff}",
];

/// Tokens for TOML: tables, arrays, odd values.
pub const TOML: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "=",
    "\"",
    "'",
    "'''",
    "\"\"\"",
    "\n",
    "#",
    "inf",
    "-inf",
    "nan",
    "0",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
    "1e309",
    "0.0",
    "-0.5",
    "true",
    "{}",
    "[]",
    "1979-05-27T07:32:00Z",
    "\\u0000",
    ".",
    "\u{0}",
];

#[derive(Clone, Debug)]
pub enum Op {
    Flip(u16, u8),
    Insert(u16, u8),
    Token(u16, u8),
    Delete(u16, u16),
    Repeat(u16, u16, u8),
    Truncate(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<u16>(), any::<u8>()).prop_map(|(p, b)| Op::Flip(p, b)),
        (any::<u16>(), any::<u8>()).prop_map(|(p, b)| Op::Insert(p, b)),
        (any::<u16>(), any::<u8>()).prop_map(|(p, t)| Op::Token(p, t)),
        (any::<u16>(), 0u16..64).prop_map(|(p, n)| Op::Delete(p, n)),
        (any::<u16>(), 0u16..64, 1u8..8).prop_map(|(p, n, k)| Op::Repeat(p, n, k)),
        any::<u16>().prop_map(Op::Truncate),
    ]
}

/// A position within `len` bytes from a 16-bit fraction.
fn at(p: u16, len: usize) -> usize {
    (p as usize * (len + 1)) >> 16
}

pub fn apply(seed: &[u8], ops: &[Op], dict: &[&str]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for op in ops {
        let len = b.len();
        match *op {
            Op::Flip(p, x) if len > 0 => b[at(p, len - 1)] ^= x | 1,
            Op::Flip(..) => {}
            Op::Insert(p, x) => b.insert(at(p, len), x),
            Op::Token(p, t) => {
                let i = at(p, len);
                let tok = dict[t as usize % dict.len()].as_bytes();
                b.splice(i..i, tok.iter().copied());
            }
            Op::Delete(p, n) => {
                let i = at(p, len);
                b.drain(i..(i + n as usize).min(len));
            }
            Op::Repeat(p, n, k) => {
                let i = at(p, len);
                let part = b[i..(i + n as usize).min(len)].to_vec();
                for _ in 0..k {
                    b.splice(i..i, part.iter().copied());
                }
            }
            Op::Truncate(p) => b.truncate(at(p, len)),
        }
    }
    b
}

/// One of `seeds`, mutated 1–8 times with tokens from `dict`.
pub fn mutated(seeds: Vec<Vec<u8>>, dict: &'static [&'static str]) -> BoxedStrategy<Vec<u8>> {
    assert!(!seeds.is_empty());
    let n = seeds.len();
    (0..n, vec(op(), 1..8))
        .prop_map(move |(i, ops)| apply(&seeds[i], &ops, dict))
        .boxed()
}

/// Mutated seeds, as text (XML and TOML parsers take &str; invalid UTF-8 is the HTTP layer's).
pub fn mutated_text(seeds: Vec<Vec<u8>>, dict: &'static [&'static str]) -> BoxedStrategy<String> {
    mutated(seeds, dict)
        .prop_map(|b| String::from_utf8_lossy(&b).into_owned())
        .boxed()
}
