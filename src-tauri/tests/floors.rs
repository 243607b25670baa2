//! The modules of `src/` stand on floors: none imports, through any chain of
//! `crate::` paths, a module that imports it back. A circle would let a low
//! room (errors, records on disk, the clock) depend on a feature above it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module (a file or a folder of `src/`) and the top-level
/// modules its production code names through `crate::`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let module_of = |path: &Path| {
        let rel = path.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        first.trim_end_matches(".rs").to_string()
    };
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let production = text.split("#[cfg(test)]").next().unwrap();
        let me = module_of(file);
        let named = graph.entry(me.clone()).or_default();
        for line in production.lines() {
            let code = line.split("//").next().unwrap();
            for piece in code.split("crate::").skip(1) {
                // `crate::jobs::…`, or a group: `crate::{jobs, voices}`.
                let names: Vec<&str> = match piece.strip_prefix('{') {
                    Some(group) => group.split('}').next().unwrap().split(',').collect(),
                    None => vec![piece],
                };
                for name in names {
                    let name: String = name
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                        .collect();
                    if name != me && modules.contains(&name) {
                        named.insert(name);
                    }
                }
            }
        }
    }
    graph
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = imports();
    assert!(graph.len() > 20, "{:?}", graph.keys());
    // Depth-first search for a back edge, naming the circle when one is found.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(at) = path.iter().position(|n| n == node) {
            panic!("an import circle: {} -> {node}", path[at..].join(" -> "));
        }
        if done.contains(node) {
            return;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, path, done);
        }
        path.pop();
        done.insert(node.to_string());
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn the_ground_imports_no_feature() {
    let graph = imports();
    let ground = [
        "error",
        "clock",
        "mutex",
        "blocking",
        "records",
        "background",
    ];
    let allowed: BTreeSet<&str> = ground.into_iter().collect();
    for room in ground {
        let named = graph
            .get(room)
            .unwrap_or_else(|| panic!("no module {room}"));
        for other in named {
            assert!(allowed.contains(other.as_str()), "{room} imports {other}");
        }
    }
}
