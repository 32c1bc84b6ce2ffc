//! The service's shape, read from its source: no module of `inventory/`
//! reaches a module that reaches it back, and the service knows nothing of
//! HTTP (no actix, askama or `crate::web`, no status codes).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of `src/inventory` and the sibling modules it uses.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/inventory");
    let mut sources: BTreeMap<String, String> = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("the service's source") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path.strip_prefix(&root).expect("below src/inventory");
            let first = relative
                .components()
                .next()
                .and_then(|c| c.as_os_str().to_str())
                .unwrap_or_default()
                .trim_end_matches(".rs")
                .to_owned();
            if first == "mod" {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a source file");
            sources.entry(first).or_default().push_str(&text);
        }
    }
    let names: BTreeSet<String> = sources.keys().cloned().collect();
    sources
        .iter()
        .map(|(module, text)| {
            let mut uses = BTreeSet::new();
            for prefix in ["super::", "crate::inventory::"] {
                for (at, _) in text.match_indices(prefix) {
                    let rest = &text[at + prefix.len()..];
                    let group = if let Some(inner) = rest.strip_prefix('{') {
                        &inner[..inner.find('}').unwrap_or(inner.len())]
                    } else {
                        &rest[..rest
                            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .unwrap_or(rest.len())]
                    };
                    for name in group.split([',', ' ', '\n']) {
                        let name = name.split("::").next().unwrap_or_default().trim();
                        if names.contains(name) && name != module {
                            uses.insert(name.to_owned());
                        }
                    }
                }
            }
            (module.clone(), uses)
        })
        .collect()
}

#[test]
fn no_module_of_the_service_reaches_one_that_reaches_it_back() {
    let graph = module_graph();
    assert!(graph.len() > 10, "the graph was read: {graph:?}");
    // Peel off modules that use nothing left; whatever remains is a circle.
    let mut left = graph.clone();
    loop {
        let free: Vec<String> = left
            .iter()
            .filter(|(_, uses)| uses.iter().all(|u| !left.contains_key(u)))
            .map(|(name, _)| name.clone())
            .collect();
        if free.is_empty() {
            break;
        }
        for name in free {
            left.remove(&name);
        }
    }
    assert!(left.is_empty(), "modules in an import circle: {left:?}");
}

#[test]
fn the_service_speaks_no_http() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/inventory");
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("the service's source") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a source file");
            for word in [
                "actix",
                "askama",
                "crate::web",
                "StatusCode",
                "status: 20",
                "status: 40",
            ] {
                assert!(!text.contains(word), "{} mentions {word}", path.display());
            }
        }
    }
}
