//! The layout holds: no import circle between the top-level modules of src/, and only the
//! command layer and the loop see the whole configuration. A Rust port of
//! shared/tools/modgraph.py (same reading of the source), so `cargo test` keeps it true.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// DESIGN.md's direction of arrows, quoted in every failure.
const DIRECTION: &str = "cmd → config, app → adapters (dashboard, http, outlets, players, \
                         buttons, requests, report) → bus → journal → core → support; adapters \
                         may use each other only without forming a circle";

type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `config` for src/config/…, `lib` for src/lib.rs.
fn top(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    if rel.components().count() == 1 {
        first.trim_end_matches(".rs").to_string()
    } else {
        first.into_owned()
    }
}

/// The text before an inline test module (`#[cfg(test)]` at a line's start, then `mod x {`):
/// test code may reach anywhere.
fn without_tests(text: &str) -> &str {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with("#[cfg(test)]") && line["#[cfg(test)]".len()..].trim().is_empty() {
            let rest = text[at + line.len()..].trim_start();
            let rest = rest
                .strip_prefix("pub")
                .filter(|r| r.starts_with(char::is_whitespace))
                .map_or(rest, str::trim_start);
            if let Some(r) = rest.strip_prefix("mod")
                && r.starts_with(char::is_whitespace)
            {
                let r = r.trim_start();
                let ident = r
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(r.len());
                if ident > 0 && r[ident..].trim_start().starts_with('{') {
                    return &text[..at];
                }
            }
        }
        at += line.len();
    }
    text
}

/// Every `crate::name` in the text (a whole word before `crate`).
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices("crate::") {
        let word_before = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if word_before {
            continue;
        }
        let rest = &text[i + "crate::".len()..];
        let starts_ok = rest
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
        if !starts_ok {
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(rest.len());
        out.insert(rest[..end].to_string());
    }
    out
}

fn module_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut edges = Graph::new();
    for f in files {
        let a = top(src, &f);
        if a == "main" || a == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for b in crate_paths(without_tests(&text)) {
            if b != a {
                edges.entry(a.clone()).or_default().insert(b);
            }
        }
    }
    edges
}

/// Strongly connected components with more than one module (Tarjan), each sorted.
fn circles(edges: &Graph) -> Vec<Vec<String>> {
    struct Walk<'g> {
        edges: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<Vec<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, v: &'g str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    self.low.insert(v, self.low[v].min(self.low[w]));
                } else if self.on_stack.contains(w) {
                    self.low.insert(v, self.low[v].min(self.index[w]));
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                loop {
                    let w = self.stack.pop().unwrap();
                    self.on_stack.remove(w);
                    comp.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    self.found.push(comp);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_import_circle_between_top_level_modules() {
    let edges = module_graph(&src_dir());
    let found = circles(&edges);
    let shown: Vec<String> = found
        .iter()
        .map(|c| {
            let arrows: Vec<String> = c
                .iter()
                .flat_map(|a| {
                    edges[a]
                        .iter()
                        .filter(|b| c.contains(b))
                        .map(move |b| format!("{a} → {b}"))
                })
                .collect();
            format!("{} ({})", c.join(", "), arrows.join(", "))
        })
        .collect();
    assert!(
        found.is_empty(),
        "import circle(s) between top-level modules: {}. Arrows must point one way: {DIRECTION}",
        shown.join(" | ")
    );
}

#[test]
fn only_the_command_layer_and_the_loop_see_the_config() {
    let edges = module_graph(&src_dir());
    let users: Vec<&String> = edges
        .iter()
        .filter(|(a, bs)| bs.contains("config") && !["cmd", "app"].contains(&a.as_str()))
        .map(|(a, _)| a)
        .collect();
    assert!(
        users.is_empty(),
        "{users:?} use crate::config: hand them their own section instead ({DIRECTION})"
    );
}

#[test]
fn the_reading_finds_circles_and_skips_test_modules() {
    let text = "use crate::b::X;\nfn f() { notcrate::c::y(); crate::Z; }\n\
                #[cfg(test)]\nmod tests {\n    use crate::c;\n}\n";
    assert_eq!(
        crate_paths(without_tests(text)),
        BTreeSet::from(["b".to_string()])
    );
    let inline_attr = "#[cfg(test)]\n#[path = \"x_tests.rs\"]\nmod tests;\nuse crate::d;\n";
    assert_eq!(without_tests(inline_attr), inline_attr);
    let mut g = Graph::new();
    for (a, b) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("e", "d")] {
        g.entry(a.to_string()).or_default().insert(b.to_string());
    }
    assert_eq!(circles(&g), vec![vec!["a", "b", "c"]]);
}
