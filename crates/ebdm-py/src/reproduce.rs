//! `ebdm.reproduce` and `ebdm.list_experiments`: the library's registry of acceptance
//! experiments, with each outcome handed over as plain Python data.

use std::path::PathBuf;

use ebdm::engine::StopFlag;
use ebdm::experiment::{find, registry, Harness, RunContext};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::{Map, Value};

use crate::convert::to_python;
use crate::errors::OrRaise;
use crate::runtime::run_released;

/// The acceptance experiments: a list of dicts with `id`, `family`, `title` and `cost`.
#[pyfunction]
pub fn list_experiments(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let items = registry()
        .into_iter()
        .map(|e| {
            let d = PyDict::new(py);
            d.set_item("id", e.id)?;
            d.set_item("family", e.family())?;
            d.set_item("title", e.title)?;
            d.set_item("cost", e.cost)?;
            Ok(d)
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// Runs the acceptance experiment `id` (as `ebdm reproduce ID` does, with the same numbers
/// for the same seed) and returns its outcome as a dict:
///
/// - `id`, `title`, `passed` (every check passed), `interrupted`;
/// - `checks`: list of {`name`, `expected`, `measured`, `pass`};
/// - `report`: lines of the short human report;
/// - `values`: named results and the configuration;
/// - `tables`: {name: {column: list}} (each loads into `pandas.DataFrame`);
/// - `figures`: the data of each figure ({`kind`, `stem`, …});
/// - `documents`: further JSON documents by name (for example a trained model).
///
/// The work runs with the GIL released on `threads` threads (default: all cores); results
/// depend on `seed` only. `data` is the directory holding the bundled data sets (`mnist/`,
/// `gset/`); by default they are found through `EBDM_DATA`, the working directory and its
/// parents, or the source tree ebdm was built from.
#[pyfunction]
#[pyo3(signature = (id, quick = false, seed = 0, threads = None, data = None))]
pub fn reproduce<'py>(
    py: Python<'py>,
    id: &str,
    quick: bool,
    seed: u64,
    threads: Option<usize>,
    data: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    let entry = find(id).or_raise()?;
    let stop = StopFlag::new();
    let outcome = run_released(py, threads, Some(&stop), || {
        let harness = Harness { seed, stop: stop.clone(), progress: None };
        entry.run(&RunContext { harness: &harness, quick, data })
    })?
    .or_raise()?;
    let out = PyDict::new(py);
    out.set_item("id", entry.id)?;
    out.set_item("title", entry.title)?;
    out.set_item("passed", outcome.passed())?;
    out.set_item("interrupted", outcome.interrupted)?;
    out.set_item("checks", to_python(py, &outcome.checks)?)?;
    out.set_item("report", to_python(py, &outcome.report)?)?;
    out.set_item("values", to_python(py, &outcome.values)?)?;
    let tables: Map<String, Value> =
        outcome.tables.iter().map(|t| (t.name.clone(), Value::Object(t.columns()))).collect();
    out.set_item("tables", to_python(py, &tables)?)?;
    out.set_item("figures", to_python(py, &outcome.figures)?)?;
    let documents: Map<String, Value> = outcome.documents.iter().cloned().collect();
    out.set_item("documents", to_python(py, &documents)?)?;
    Ok(out)
}
