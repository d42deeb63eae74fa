//! The ℓ1 phase transition: A9 (state-evolution curve), A10 (empirical transition).

use super::*;

/// A9: the state-evolution curve at the reference points, and the figure of both curves.
pub fn a9() -> Result<Outcome> {
    let signed = [(0.1, 0.18943), (0.25, 0.26738), (0.5, 0.38569), (0.75, 0.53371), (0.19, 0.2383)];
    let nonneg = [(0.1, 0.24098), (0.25, 0.36509), (0.5, 0.55823), (0.75, 0.76588), (0.19, 0.3179)];
    let mut checks = Vec::new();
    for (table, s) in [(signed, true), (nonneg, false)] {
        for (d, want) in table {
            let got = phase::rho_se(d, s)?;
            checks.push(Check::new(
                format!("ρ_SE(δ = {d}) {}", if s { "signed" } else { "nonneg" }),
                format!("{want} ± 1e-4"),
                format!("{got:.5}"),
                (got - want).abs() <= 1e-4,
            ));
        }
    }
    let grid: Vec<f64> = (1..=99).map(|i| i as f64 / 100.0).collect();
    let curve = |s: bool| -> Result<Vec<(f64, f64)>> { grid.iter().map(|&d| Ok((d, phase::rho_se(d, s)?))).collect() };
    let figure = Plot {
        stem: "phase_curve".into(),
        title: "ℓ1 phase transition ρ_SE(δ) (Donoho–Maleki–Montanari 2009)".into(),
        x_label: "δ = n/N".into(),
        y_label: "ρ = k/n".into(),
        log_y: false,
        curves: vec![
            Curve { name: "signed".into(), points: curve(true)? },
            Curve { name: "nonnegative".into(), points: curve(false)? },
        ],
    };
    Ok(Outcome { checks, figures: vec![figure.into()], ..Outcome::default() })
}

/// A10: the empirical transition of FISTA + restart with λ-continuation.
pub fn a10(cfg: &PhaseConfig, harness: &Harness) -> Result<Outcome> {
    let (points, interrupted) = phase::empirical(cfg, harness, ids::PHASE)?;
    let mut checks = Vec::new();
    let mut curves = Vec::new();
    for &delta in &cfg.deltas {
        let row: Vec<&PhasePoint> = points.iter().filter(|p| p.delta == delta).collect();
        let frac = |p: &PhasePoint| p.successes as f64 / p.trials.max(1) as f64;
        curves
            .push(Curve { name: format!("δ = {delta}"), points: row.iter().map(|p| (p.fraction, frac(p))).collect() });
        if let Some(lo) = row.iter().find(|p| (p.fraction - 0.7).abs() < 1e-9) {
            checks.push(Check::new(
                format!("δ = {delta}: successes at 0.7·ρ_SE"),
                format!("≥ {}/{}", (0.9 * lo.trials as f64).ceil(), lo.trials),
                format!("{}/{}", lo.successes, lo.trials),
                frac(lo) >= 0.9,
            ));
        }
        if let Some(hi) = row.iter().find(|p| (p.fraction - 1.3).abs() < 1e-9) {
            checks.push(Check::new(
                format!("δ = {delta}: successes at 1.3·ρ_SE"),
                format!("≤ {}/{}", (0.1 * hi.trials as f64).floor(), hi.trials),
                format!("{}/{}", hi.successes, hi.trials),
                frac(hi) <= 0.1,
            ));
        }
        // 50 % crossing by linear interpolation.
        let crossing = row.windows(2).find_map(|w| {
            let (a, b) = (frac(w[0]), frac(w[1]));
            (a >= 0.5 && b < 0.5).then(|| w[0].fraction + (a - 0.5) / (a - b) * (w[1].fraction - w[0].fraction))
        });
        checks.push(Check::new(
            format!("δ = {delta}: 50 % crossing (in units of ρ_SE)"),
            "in [0.85, 1.15]",
            crossing.map_or("none".into(), |c| format!("{c:.3}")),
            crossing.is_some_and(|c| (0.85..=1.15).contains(&c)),
        ));
    }
    let figure = Plot {
        stem: "phase_empirical".into(),
        title: format!("Recovery rate, N = {}, FISTA + restart with λ-continuation", cfg.signal),
        x_label: "k / (ρ_SE(δ)·n)".into(),
        y_label: "success fraction".into(),
        log_y: false,
        curves,
    };
    let phase_theory =
        (1..100).map(|i| i as f64 / 100.0).map(|d| Ok((d, phase::rho_se(d, !cfg.nonneg)?))).collect::<Result<_>>()?;
    let mut out = Outcome { checks, figures: vec![figure.into()], interrupted, ..Outcome::default() };
    out.table("phase", &points)?;
    out.figure(PhaseDiagram {
        stem: "phase_diagram".into(),
        title: "ℓ1 recovery: measured success against the theoretical transition".into(),
        points: points
            .iter()
            .map(|p| (p.delta, p.sparsity as f64 / p.measurements as f64, p.successes as f64 / p.trials.max(1) as f64))
            .collect(),
        theory: phase_theory,
    });
    Ok(out)
}
