//! Sweeps from Python: the parsed sweep (picklable, so it travels to Dask or Ray workers), one
//! task run with the GIL released, the shard file a driver appends to, merge and status.

use std::path::PathBuf;
use std::sync::Mutex;

use ebdm::engine::StopFlag;
use ebdm::sweep::{self, Shard, ShardFile, Sweep};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

use crate::convert::to_python;
use crate::errors::OrRaise;
use crate::runtime::run_released;

/// A sweep: a study or an acceptance experiment run over a grid of parameters × seeds, cut into
/// deterministic tasks (see `ebdm.sweep`).
///
/// `Sweep(text, source="sweep.toml")` parses TOML text (`source` names it in messages and gives
/// the default name); `Sweep.read(path)` reads a file. Invalid sweeps raise `ValueError` naming
/// the key, parameter or value. Sweeps pickle (as their text), so they can be sent to workers.
#[pyclass(module = "ebdm._ebdm", name = "Sweep", frozen)]
pub struct PySweep {
    inner: Sweep,
}

impl PySweep {
    pub fn inner(&self) -> &Sweep {
        &self.inner
    }
}

#[pymethods]
impl PySweep {
    #[new]
    #[pyo3(signature = (text, source = PathBuf::from("sweep.toml")))]
    fn new(text: &str, source: PathBuf) -> PyResult<Self> {
        Ok(Self { inner: Sweep::parse(text, &source).or_raise()? })
    }

    /// Reads the sweep file at `path`.
    #[staticmethod]
    fn read(path: PathBuf) -> PyResult<Self> {
        Ok(Self { inner: Sweep::read(&path).or_raise()? })
    }

    /// The sweep's name (its results go to `results/sweeps/NAME` by default).
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// Number of tasks (cells × replicates).
    #[getter]
    fn tasks(&self) -> usize {
        self.inner.tasks()
    }

    /// Number of grid cells.
    #[getter]
    fn cells(&self) -> usize {
        self.inner.cells()
    }

    /// Tasks per cell.
    #[getter]
    fn replicates(&self) -> usize {
        self.inner.replicates()
    }

    /// The sweep as data (the header of its results files).
    #[getter]
    fn spec<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, self.inner.spec())
    }

    /// The default results directory, `results/sweeps/NAME`.
    #[getter]
    fn default_out(&self) -> PathBuf {
        sweep::default_out(&self.inner)
    }

    /// Task `index`: a dict with `index`, `cell`, `replicate`, `seed` and `params` (every
    /// parameter, defaults filled in).
    fn task<'py>(&self, py: Python<'py>, index: usize) -> PyResult<Bound<'py, PyDict>> {
        let t = self.inner.task(index).or_raise()?;
        let d = PyDict::new(py);
        d.set_item("index", t.index)?;
        d.set_item("cell", t.cell)?;
        d.set_item("replicate", t.replicate)?;
        d.set_item("seed", t.seed)?;
        d.set_item("params", to_python(py, &Value::Object(t.params))?)?;
        Ok(d)
    }

    /// Runs task `index` with the GIL released on `threads` threads (default 1: a scheduler
    /// runs tasks side by side) and returns its record as one JSON line (with its wall time),
    /// or None if Ctrl-C stopped it. The line is the same wherever the task runs, but for the
    /// wall time. `data` is the directory of bundled data sets.
    #[pyo3(signature = (index, threads = Some(1), data = None))]
    fn run_task(
        &self,
        py: Python<'_>,
        index: usize,
        threads: Option<usize>,
        data: Option<PathBuf>,
    ) -> PyResult<Option<String>> {
        let stop = StopFlag::new();
        let record = run_released(py, threads, Some(&stop), || self.inner.run_task(index, &stop, data.as_deref()))?
            .or_raise()?;
        Ok(record.map(|r| r.shard_line()))
    }

    /// Pickle support: rebuilt from the sweep's text.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let py = slf.py();
        let sweep = &slf.get().inner;
        let args = (sweep.text(), sweep.source()).into_pyobject(py)?;
        Ok((slf.get_type().into_any(), args.into_any()))
    }

    fn __repr__(&self) -> String {
        format!("Sweep(name='{}', tasks={})", self.inner.name, self.inner.tasks())
    }
}

/// The results file of one shard of a sweep, opened for appending: `ShardFile(sweep, out,
/// shard="1/1")`. Tasks already in the file are done; a last line cut short by a killed run is
/// dropped. A driver appends the lines its workers return with `append`.
#[pyclass(module = "ebdm._ebdm", name = "ShardFile")]
pub struct PyShardFile {
    inner: Mutex<ShardFile>,
}

impl PyShardFile {
    fn file(&self) -> std::sync::MutexGuard<'_, ShardFile> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[pymethods]
impl PyShardFile {
    #[new]
    #[pyo3(signature = (sweep, out, shard = "1/1"))]
    fn new(sweep: &PySweep, out: PathBuf, shard: &str) -> PyResult<Self> {
        let shard: Shard = shard.parse().or_raise()?;
        let file = ShardFile::open(&out, sweep.inner(), shard).or_raise()?;
        Ok(Self { inner: Mutex::new(file) })
    }

    /// The file's path.
    #[getter]
    fn path(&self) -> PathBuf {
        self.file().path().to_path_buf()
    }

    /// Tasks of the shard without a result in the file, in order.
    fn pending(&self) -> Vec<usize> {
        self.file().pending()
    }

    /// Tasks with a result in the file.
    fn done(&self) -> Vec<usize> {
        self.file().done().iter().copied().collect()
    }

    /// Appends a record line returned by `Sweep.run_task`; returns its task index.
    fn append(&self, line: &str) -> PyResult<usize> {
        self.file().append_line(line).or_raise()
    }
}

/// Runs the pending tasks of `file` (a `ShardFile` of `sweep`) in this process, in parallel on
/// `threads` threads (default: all cores), appending each record as it finishes, with the GIL
/// released; Ctrl-C stops after the running tasks and keeps every finished one. Returns the
/// number of tasks run.
#[pyfunction]
#[pyo3(signature = (sweep, file, threads = None, data = None))]
pub fn sweep_run_local(
    py: Python<'_>,
    sweep: &PySweep,
    file: &PyShardFile,
    threads: Option<usize>,
    data: Option<PathBuf>,
) -> PyResult<usize> {
    let mut guard = file.file();
    let file: &mut ShardFile = &mut guard;
    let stop = StopFlag::new();
    run_released(py, threads, Some(&stop), || sweep::run_shard(sweep.inner(), file, &stop, data.as_deref(), &|_| {}))?
        .or_raise()
}

/// Merges every shard file in `out` into `out/merged.jsonl` and returns its path.
#[pyfunction]
#[pyo3(signature = (sweep, out, partial = false))]
pub fn sweep_merge(sweep: &PySweep, out: PathBuf, partial: bool) -> PyResult<PathBuf> {
    Ok(sweep::merge(&out, sweep.inner(), partial).or_raise()?.path)
}

/// How far the sweep got in `out`: a dict with `tasks`, `done`, `missing`, `shards` (one dict
/// per shard file) and `merged` (its path or None).
#[pyfunction]
pub fn sweep_status<'py>(py: Python<'py>, sweep: &PySweep, out: PathBuf) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, &sweep::status(&out, sweep.inner()).or_raise()?)
}

/// The studies a sweep can run: a list of dicts with `id`, `title`, `results` and `params`
/// (each with `name`, `type`, `default`, `range` or `choices`, `help`).
#[pyfunction]
pub fn list_studies(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let items = sweep::STUDIES
        .iter()
        .map(|s| {
            let d = PyDict::new(py);
            d.set_item("id", s.id)?;
            d.set_item("title", s.title)?;
            d.set_item("results", s.results)?;
            let params = s
                .params
                .iter()
                .map(|p| {
                    let e = PyDict::new(py);
                    e.set_item("name", p.name)?;
                    e.set_item("type", p.kind())?;
                    e.set_item("default", to_python(py, &p.default_value())?)?;
                    e.set_item("range", p.range)?;
                    e.set_item("choices", p.choices.to_vec())?;
                    e.set_item("help", p.help)?;
                    Ok(e)
                })
                .collect::<PyResult<Vec<_>>>()?;
            d.set_item("params", PyList::new(py, params)?)?;
            Ok(d)
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}
