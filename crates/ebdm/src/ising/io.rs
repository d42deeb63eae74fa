//! File formats: G-set / rudy graphs, the best-known table, a text format for Ising and QUBO
//! instances, and the seeded K2000-like generator.
//!
//! # G-set / rudy
//!
//! Line 1 holds `n m`; then m lines `i j w` with 1-based vertex ids, i ≠ j, each undirected edge
//! once, and a numeric weight. Tokens are split on any whitespace, so CRLF line endings and
//! trailing spaces are accepted; blank lines are skipped. Every other deviation (a header that is
//! not two counts, fewer or more edge lines than m, an id outside 1..=n, a self-loop, a duplicate
//! edge, a token that is not a number) is an [`Error::Format`] naming the line.
//!
//! # Ising and QUBO text format
//!
//! ```text
//! # comment lines start with '#'
//! ising 3          (or: qubo 3) — the kind and the number of variables
//! offset 0.5       optional constant c (Ising) or q0 (QUBO)
//! 1 1 -0.5         i i v: linear term h_i (Ising) or Q_ii (QUBO), 1-based
//! 1 2 1            i j v, i ≠ j: J_ij (Ising, canonical sign) or Q_ij (QUBO), each pair once
//! ```
//!
//! The Ising energy is the canonical one of [`super::model`]:
//! `H(s) = −Σ_{i<j} J_ij s_i s_j − Σ h_i s_i + c`.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use rand::RngCore;

use super::model::{Backend, IsingModel, MaxCutGraph, QuboModel};
use crate::engine::rng::stream;
use crate::error::{Error, Result};

fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|error| Error::Io { path: path.to_path_buf(), error })?;
    String::from_utf8(bytes).map_err(|e| Error::Format {
        path: path.to_path_buf(),
        reason: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
    })
}

fn fmt_err(path: &Path, line: usize, reason: impl std::fmt::Display) -> Error {
    Error::Format { path: path.to_path_buf(), reason: format!("line {line}: {reason}") }
}

fn parse_count(path: &Path, line: usize, what: &str, tok: &str) -> Result<usize> {
    tok.parse::<usize>().map_err(|_| fmt_err(path, line, format!("{what} `{tok}` is not a non-negative integer")))
}

fn parse_weight(path: &Path, line: usize, tok: &str) -> Result<f64> {
    match tok.parse::<f64>() {
        Ok(w) if w.is_finite() => Ok(w),
        _ => Err(fmt_err(path, line, format!("weight `{tok}` is not a finite number"))),
    }
}

fn parse_id(path: &Path, line: usize, tok: &str, n: usize) -> Result<u32> {
    let v =
        tok.parse::<u64>().map_err(|_| fmt_err(path, line, format!("vertex id `{tok}` is not a positive integer")))?;
    if v == 0 || v > n as u64 {
        return Err(fmt_err(path, line, format!("vertex id {v} out of range 1..={n}")));
    }
    Ok((v - 1) as u32)
}

/// Largest vertex count the reader accepts (keeps a hostile header from allocating the machine).
pub const MAX_VERTICES: usize = 1 << 28;

/// Parses G-set / rudy text; `path` only labels errors.
pub fn parse_gset(text: &str, path: &Path) -> Result<MaxCutGraph> {
    let mut lines = text.lines().enumerate().map(|(k, l)| (k + 1, l)).filter(|(_, l)| !l.trim().is_empty());
    let Some((hl, header)) = lines.next() else {
        return Err(Error::Format { path: path.to_path_buf(), reason: "empty file: expected a header `n m`".into() });
    };
    let toks: Vec<&str> = header.split_whitespace().collect();
    if toks.len() != 2 {
        return Err(fmt_err(path, hl, format!("header must be `n m` (2 tokens), found {} tokens", toks.len())));
    }
    let n = parse_count(path, hl, "vertex count", toks[0])?;
    let m = parse_count(path, hl, "edge count", toks[1])?;
    if n > MAX_VERTICES {
        return Err(fmt_err(path, hl, format!("vertex count {n} exceeds the limit {MAX_VERTICES}")));
    }
    let max_edges = (n as u128) * (n as u128).saturating_sub(1) / 2;
    if m as u128 > max_edges {
        return Err(fmt_err(path, hl, format!("edge count {m} exceeds n(n−1)/2 = {max_edges} for n = {n}")));
    }
    let mut edges = Vec::with_capacity(m.min(1 << 24));
    let mut seen = HashSet::with_capacity(m.min(1 << 24));
    let mut last_line = hl;
    for (ln, l) in lines {
        last_line = ln;
        if edges.len() == m {
            return Err(fmt_err(path, ln, format!("more edge lines than the {m} declared in the header")));
        }
        let t: Vec<&str> = l.split_whitespace().collect();
        if t.len() != 3 {
            return Err(fmt_err(path, ln, format!("expected `i j w` (3 tokens), found {} tokens", t.len())));
        }
        let i = parse_id(path, ln, t[0], n)?;
        let j = parse_id(path, ln, t[1], n)?;
        let w = parse_weight(path, ln, t[2])?;
        if i == j {
            return Err(fmt_err(path, ln, format!("self-loop at vertex {}", i + 1)));
        }
        if !seen.insert((i.min(j), i.max(j))) {
            return Err(fmt_err(path, ln, format!("duplicate edge {{{}, {}}}", i + 1, j + 1)));
        }
        edges.push((i, j, w));
    }
    if edges.len() != m {
        return Err(fmt_err(
            path,
            last_line,
            format!("header declares {m} edges but the file ends after {} edge lines", edges.len()),
        ));
    }
    Ok(MaxCutGraph { n, edges })
}

/// Reads a G-set / rudy file.
pub fn read_gset(path: &Path) -> Result<MaxCutGraph> {
    parse_gset(&read_text(path)?, path)
}

/// Writes a graph as a rudy file (integer weights written without a decimal point).
pub fn write_gset(graph: &MaxCutGraph, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "{} {}", graph.n, graph.edges.len())?;
    for &(i, j, w) in &graph.edges {
        writeln!(out, "{} {} {}", i + 1, j + 1, w)?;
    }
    Ok(())
}

/// One row of a best-known table.
#[derive(Clone, Debug, PartialEq)]
pub struct BestKnown {
    pub instance: String,
    pub nodes: usize,
    pub edges: usize,
    pub cut: f64,
}

/// Parses a best-known table: a header line, then tab-separated rows
/// `instance nodes edges best_known_cut [source…]`.
pub fn parse_best_known(text: &str, path: &Path) -> Result<Vec<BestKnown>> {
    let mut out = Vec::new();
    for (k, line) in text.lines().enumerate().skip(1) {
        let ln = k + 1;
        if line.trim().is_empty() {
            continue;
        }
        let t: Vec<&str> = line.split('\t').collect();
        if t.len() < 4 {
            return Err(fmt_err(path, ln, "expected `instance<TAB>nodes<TAB>edges<TAB>best_known_cut`"));
        }
        out.push(BestKnown {
            instance: t[0].trim().to_string(),
            nodes: parse_count(path, ln, "nodes", t[1].trim())?,
            edges: parse_count(path, ln, "edges", t[2].trim())?,
            cut: parse_weight(path, ln, t[3].trim())?,
        });
    }
    Ok(out)
}

/// Reads a best-known table file.
pub fn read_best_known(path: &Path) -> Result<Vec<BestKnown>> {
    parse_best_known(&read_text(path)?, path)
}

/// The best-known row for a file, matched by file stem (`G22.txt` → `G22`) and checked against
/// the graph's size, so a renamed or different file never inherits a wrong reference value.
pub fn lookup_best_known<'a>(table: &'a [BestKnown], file: &Path, graph: &MaxCutGraph) -> Option<&'a BestKnown> {
    let stem = file.file_stem()?.to_str()?;
    table.iter().find(|r| r.instance.eq_ignore_ascii_case(stem) && r.nodes == graph.n && r.edges == graph.edges.len())
}

/// An instance read from the Ising/QUBO text format.
#[derive(Clone, Debug)]
pub enum Instance {
    Ising(IsingModel),
    Qubo(QuboModel),
}

/// Parses the Ising/QUBO text format (module docs); `path` only labels errors.
pub fn parse_model(text: &str, path: &Path, backend: Backend) -> Result<Instance> {
    let mut kind: Option<(bool, usize)> = None;
    let mut offset = 0.0;
    let mut offset_seen = false;
    let mut linear: Vec<f64> = Vec::new();
    let mut lin_seen: HashSet<u32> = HashSet::new();
    let mut pairs: Vec<(u32, u32, f64)> = Vec::new();
    let mut seen: HashSet<(u32, u32)> = HashSet::new();
    for (k, line) in text.lines().enumerate() {
        let ln = k + 1;
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let t: Vec<&str> = l.split_whitespace().collect();
        let Some((_, n)) = kind else {
            let is_ising = match t[0] {
                "ising" => true,
                "qubo" => false,
                other => return Err(fmt_err(path, ln, format!("expected `ising N` or `qubo N`, found `{other}`"))),
            };
            if t.len() != 2 {
                return Err(fmt_err(path, ln, "header must be `ising N` or `qubo N`"));
            }
            let n = parse_count(path, ln, "variable count", t[1])?;
            if n > MAX_VERTICES {
                return Err(fmt_err(path, ln, format!("variable count {n} exceeds the limit {MAX_VERTICES}")));
            }
            kind = Some((is_ising, n));
            linear = vec![0.0; n];
            continue;
        };
        if t[0] == "offset" {
            if t.len() != 2 {
                return Err(fmt_err(path, ln, "expected `offset VALUE`"));
            }
            if offset_seen {
                return Err(fmt_err(path, ln, "offset given twice"));
            }
            offset = parse_weight(path, ln, t[1])?;
            offset_seen = true;
            continue;
        }
        if t.len() != 3 {
            return Err(fmt_err(path, ln, format!("expected `i j value` (3 tokens), found {} tokens", t.len())));
        }
        let i = parse_id(path, ln, t[0], n)?;
        let j = parse_id(path, ln, t[1], n)?;
        let v = parse_weight(path, ln, t[2])?;
        if i == j {
            if !lin_seen.insert(i) {
                return Err(fmt_err(path, ln, format!("linear term of variable {} given twice", i + 1)));
            }
            linear[i as usize] = v;
        } else {
            let key = (i.min(j), i.max(j));
            if !seen.insert(key) {
                return Err(fmt_err(path, ln, format!("pair {{{}, {}}} given twice", i + 1, j + 1)));
            }
            pairs.push((key.0, key.1, v));
        }
    }
    let Some((is_ising, n)) = kind else {
        return Err(Error::Format { path: path.to_path_buf(), reason: "no `ising N` or `qubo N` header".into() });
    };
    if is_ising {
        Ok(Instance::Ising(IsingModel::new(n, &pairs, linear, offset, backend)?))
    } else {
        Ok(Instance::Qubo(QuboModel { n, linear, quad: pairs, offset }))
    }
}

/// Reads an Ising/QUBO text file.
pub fn read_model(path: &Path, backend: Backend) -> Result<Instance> {
    parse_model(&read_text(path)?, path, backend)
}

/// A complete graph on `n` vertices with weights ±1, like the K2000 instance of the
/// coherent-Ising-machine literature but **not** that instance.
///
/// For the pairs i < j in lexicographic order, `w_ij = +1` if the top bit of the next `u64` of
/// `ebdm::engine::rng::stream(seed, 0)` (xoshiro256++ seeded through SplitMix64) is set, else −1.
/// The file written by [`write_gset`] is what peers should read.
pub fn k2000_like(n: usize, seed: u64) -> Result<MaxCutGraph> {
    if !(2..=20_000).contains(&n) {
        return Err(Error::param("n", format!("must lie in 2..=20000, got {n}")));
    }
    let mut rng = stream(seed, 0);
    let mut edges = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n as u32 {
        for j in i + 1..n as u32 {
            let w = if rng.next_u64() >> 63 == 1 { 1.0 } else { -1.0 };
            edges.push((i, j, w));
        }
    }
    Ok(MaxCutGraph { n, edges })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn p() -> PathBuf {
        PathBuf::from("t.txt")
    }

    fn err(text: &str) -> String {
        parse_gset(text, &p()).unwrap_err().to_string()
    }

    #[test]
    fn accepts_crlf_trailing_spaces_and_blank_lines() {
        let g = parse_gset("3 2 \r\n1 2 1\r\n2 3 -1   \r\n\r\n", &p()).unwrap();
        assert_eq!(g.n, 3);
        assert_eq!(g.edges, vec![(0, 1, 1.0), (1, 2, -1.0)]);
        let g = parse_gset("4 0\n", &p()).unwrap();
        assert_eq!((g.n, g.edges.len()), (4, 0));
        let g = parse_gset("2 1\n1\t2\t2.5\n", &p()).unwrap();
        assert_eq!(g.edges, vec![(0, 1, 2.5)]);
    }

    #[test]
    fn malformed_files_name_the_line() {
        assert!(err("").contains("empty file"));
        assert!(err("3\n1 2 1\n").contains("line 1: header"));
        assert!(err("800 2 5\n").contains("line 1: header"));
        // An extra header line (n / type / best cut style) is caught on the first edge line.
        assert!(err("3 2\nrandom\n1 2 1\n2 3 1\n").contains("line 2: expected `i j w`"));
        assert!(err("x 2\n").contains("line 1: vertex count `x`"));
        assert!(err("3 2\n1 2 1\n").contains("header declares 2 edges but the file ends after 1"));
        assert!(err("3 1\n1 2 1\n2 3 1\n").contains("line 3: more edge lines"));
        assert!(err("3 1\n0 2 1\n").contains("line 2: vertex id 0 out of range 1..=3"));
        assert!(err("3 1\n1 4 1\n").contains("line 2: vertex id 4 out of range"));
        assert!(err("3 1\n-1 2 1\n").contains("line 2: vertex id `-1`"));
        assert!(err("3 1\n2 2 1\n").contains("line 2: self-loop at vertex 2"));
        assert!(err("3 2\n1 2 1\n2 1 1\n").contains("line 3: duplicate edge {2, 1}"));
        assert!(err("3 1\n1 2 abc\n").contains("line 2: weight `abc` is not a finite number"));
        assert!(err("3 1\n1 2 nan\n").contains("line 2: weight `nan`"));
        assert!(err("3 1\n1 2\n").contains("line 2: expected `i j w` (3 tokens), found 2"));
        assert!(err("3 4\n").contains("exceeds n(n−1)/2"));
        assert!(err("999999999999 1\n").contains("exceeds the limit"));
    }

    #[test]
    fn ising_and_qubo_format() {
        let text = "# test\nising 3\noffset 0.5\n1 1 -0.5\n1 2 1\n3 2 -2\n";
        let Instance::Ising(m) = parse_model(text, &p(), Backend::Csr).unwrap() else { panic!("not ising") };
        assert_eq!(m.h, vec![-0.5, 0.0, 0.0]);
        assert_eq!(m.j.pairs(), vec![(0, 1, 1.0), (1, 2, -2.0)]);
        assert_eq!(m.offset, 0.5);
        // H(+,+,+) = −(1 − 2) − (−0.5) + 0.5 = 2.
        assert_eq!(m.energy(&[1, 1, 1]), 2.0);
        let Instance::Qubo(q) = parse_model("qubo 2\r\n1 1 3\r\n1 2 -4\r\n", &p(), Backend::Csr).unwrap() else {
            panic!("not qubo")
        };
        assert_eq!(q.value(&[1, 1]), -1.0);
        let e = |t: &str| parse_model(t, &p(), Backend::Csr).unwrap_err().to_string();
        assert!(e("ising 2\n1 2 1\n2 1 1\n").contains("line 3: pair {2, 1} given twice"));
        assert!(e("ising 2\n1 1 1\n1 1 1\n").contains("line 3: linear term"));
        assert!(e("maxcut 2\n").contains("line 1: expected `ising N`"));
        assert!(e("ising 2\n1 3 1\n").contains("line 2: vertex id 3 out of range"));
        assert!(e("# nothing\n").contains("no `ising N`"));
        assert!(e("qubo 2\noffset x\n").contains("line 2: weight `x`"));
    }

    #[test]
    fn best_known_and_k2000_like() {
        let t = "instance\tnodes\tedges\tbest_known_cut\tsource\nG1\t800\t19176\t11624\tsrc\n";
        let rows = parse_best_known(t, &p()).unwrap();
        assert_eq!(rows[0], BestKnown { instance: "G1".into(), nodes: 800, edges: 19176, cut: 11624.0 });
        assert!(parse_best_known("h\nG1\t800\n", &p()).unwrap_err().to_string().contains("line 2"));
        let a = k2000_like(50, 1).unwrap();
        let b = k2000_like(50, 1).unwrap();
        let c = k2000_like(50, 2).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.edges.len(), 50 * 49 / 2);
        let plus = a.edges.iter().filter(|e| e.2 == 1.0).count();
        assert!((500..725).contains(&plus), "{plus} of 1225 weights are +1");
        let mut buf = Vec::new();
        write_gset(&a, &mut buf).unwrap();
        assert_eq!(parse_gset(std::str::from_utf8(&buf).unwrap(), &p()).unwrap(), a);
    }

    proptest::proptest! {
        #[test]
        fn reader_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_gset(&text, &p());
            let _ = parse_model(&text, &p(), Backend::Auto);
        }

        #[test]
        fn reader_never_panics_on_near_valid_text(
            lines in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::prop_oneof!["-?[0-9]{1,3}", "[0-9]\\.[0-9]", "[a-z]{1,2}", "", "\r"], 0..4),
                0..12)
        ) {
            let text: String = lines.iter().map(|l| l.join(" ") + "\n").collect();
            let _ = parse_gset(&text, &p());
            let _ = parse_model(&text, &p(), Backend::Auto);
        }
    }
}
