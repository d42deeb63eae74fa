//! The edge-of-chaos experiments on simulated networks next to the mean-field theory: the
//! largest exponent across the transition at γ = 0 (spec E1), the edge at g(1+γ) = 1 for three
//! symmetries (spec E2), the autocorrelation against the SCS theory (spec E3), and the
//! (g, γ) phase diagram.

use serde::Serialize;

use super::correlation::{network_autocorrelations, CorrelationOptions};
use super::network::{exponents, LyapunovOptions};
use super::scs::{solve_scs, ScsOptions};
use super::static_dmft::critical_gain;
use crate::error::Result;
use crate::experiment::{linear_fit, mean_se, Chart, Check, Outcome, RunContext, Series};

/// λ_max of the networks of one cell (N, g, γ), mean and s.e. over networks.
#[derive(Clone, Debug, Serialize)]
struct Cell {
    n: usize,
    g: f64,
    gamma: f64,
    networks: usize,
    lambda: [f64; 2],
    /// Twin-trajectory estimate (δ0 = 1e-8, pulled back every time unit), when run.
    twin: Option<[f64; 2]>,
    /// Largest |tangent − twin| over the networks.
    twin_gap: Option<f64>,
    mean_square: [f64; 2],
    /// g(1 + γ) − 1 below the edge, the DMFT λ_max above it (γ = 0), else null.
    theory: Option<f64>,
}

fn pair((m, se): (f64, f64)) -> [f64; 2] {
    [m, se]
}

/// Runs one cell; `None` when stopped before any network finished.
fn cell(
    ctx: &RunContext,
    n: usize,
    g: f64,
    gamma: f64,
    networks: usize,
    opts: &LyapunovOptions,
    twin: bool,
) -> Result<Option<Cell>> {
    let runs = exponents(n, g, gamma, networks, ctx.seed(), opts, twin, &ctx.harness.stop)?;
    ctx.harness.advance(networks as u64);
    let done: Vec<_> = runs.into_iter().flatten().filter(|r| r.lambda.is_finite()).collect();
    if done.is_empty() {
        return Ok(None);
    }
    let lambda: Vec<f64> = done.iter().map(|r| r.lambda).collect();
    let twins: Vec<f64> = done.iter().filter_map(|r| r.twin).collect();
    let theory = if g < critical_gain(gamma) {
        Some(g * (1.0 + gamma) - 1.0)
    } else if gamma == 0.0 {
        Some(solve_scs(g, 0.0, &ScsOptions::default())?.lambda_max)
    } else {
        None
    };
    Ok(Some(Cell {
        n,
        g,
        gamma,
        networks: done.len(),
        lambda: pair(mean_se(&lambda)),
        twin: (!twins.is_empty()).then(|| pair(mean_se(&twins))),
        twin_gap: done.iter().filter_map(|r| r.twin.map(|t| (t - r.lambda).abs())).reduce(f64::max),
        mean_square: pair(mean_se(&done.iter().map(|r| r.mean_square).collect::<Vec<_>>())),
        theory,
    }))
}

fn find(cells: &[Cell], n: usize, g: f64, gamma: f64) -> Option<&Cell> {
    cells.iter().find(|c| c.n == n && (c.g - g).abs() < 1e-12 && c.gamma == gamma)
}

/// Spec E1 (γ = 0): λ_max by a tangent vector renormalised every RK4 step (dt = 0.05, transient
/// 200, T = 1000, four networks) at N ∈ {500, 1000, 2000} and g ∈ {0.8, 0.85, 0.9, 0.95, 1.5, 2,
/// 3}, with N = 4000 at g = 2 for the fit λ(N) = λ∞ − c/N, and the brute-force twin at
/// N ≤ 1000 (at N = 2000 and 4000 it would double an hour-long run to repeat a comparison
/// already made). The DMFT values are the library's own. Checks, as the spec sets them: the
/// ordered side within 0.02 of g − 1 and the DMFT tolerances at g = 1.5, 2, 3 at the largest N;
/// the N-fit at g = 2 within 0.01 of the DMFT and λ increasing with N; twin and tangent within
/// 0.005; the fit of λ(g) over the ordered gains has slope 1 ± 0.1 and crosses 0 at
/// g = 1 ± 0.03. `--quick` (N = 500, two networks, T = 100, g = 0.8…0.95 and 2) checks the twin
/// and the edge fit and reports the rest: the finite-N bias of the ordered exponent at N = 500
/// (about −0.024 g) is of the size of the spec's tolerance, which the spec applies at N = 2000.
pub fn e1(ctx: &RunContext) -> Result<Outcome> {
    let ordered = [0.8, 0.85, 0.9, 0.95];
    let (sizes, chaotic, networks, transient, time): (&[usize], &[f64], usize, f64, f64) = if ctx.quick {
        (&[500], &[2.0], 2, 50.0, 100.0)
    } else {
        (&[500, 1000, 2000], &[1.5, 2.0, 3.0], 4, 200.0, 1000.0)
    };
    let opts = LyapunovOptions { dt: 0.05, transient, time, sigma: 0.0 };
    let mut jobs: Vec<(usize, f64)> =
        sizes.iter().flat_map(|&n| ordered.iter().chain(chaotic).map(move |&g| (n, g))).collect();
    if !ctx.quick {
        jobs.push((4000, 2.0));
    }
    ctx.harness.begin("networks", (jobs.len() * networks) as u64);
    let mut cells = Vec::new();
    for (n, g) in jobs {
        if ctx.harness.interrupted() {
            break;
        }
        if let Some(c) = cell(ctx, n, g, 0.0, networks, &opts, n <= 1000)? {
            cells.push(c);
        }
    }
    let largest = *sizes.last().unwrap();
    let mut checks = Vec::new();
    let mut report = Vec::new();
    // The ordered side: λ = g − 1, and the edge from a line through the ordered gains.
    let edge: Vec<(f64, f64)> =
        ordered.iter().filter_map(|&g| find(&cells, largest, g, 0.0).map(|c| (g, c.lambda[0]))).collect();
    for &(g, l) in &edge {
        let line =
            format!("N = {largest}, g = {g}: λ = {l:.4}, g − 1 = {:.4}, difference {:+.4}", g - 1.0, l - (g - 1.0));
        if ctx.quick {
            report.push(format!("{line} (reported; the spec's ± 0.02 applies at N = 2000)"));
        } else if g == 0.8 || g == 0.9 {
            checks.push(Check::new(
                format!("N = {largest}, g = {g}: λ against g − 1"),
                format!("{:.3} ± 0.02", g - 1.0),
                format!("{l:.4}"),
                (l - (g - 1.0)).abs() <= 0.02,
            ));
        }
    }
    if let Some((a, b)) =
        linear_fit(&edge.iter().map(|p| p.0).collect::<Vec<_>>(), &edge.iter().map(|p| p.1).collect::<Vec<_>>())
    {
        let g0 = -a / b;
        checks.push(Check::new(
            format!("N = {largest}: the line through λ(g), g = 0.8…0.95, has slope 1 and crosses 0 at g = 1"),
            "slope 1 ± 0.1, zero at 1.00 ± 0.03",
            format!("slope {b:.4}, zero at {g0:.4}"),
            (b - 1.0).abs() <= 0.1 && (g0 - 1.0).abs() <= 0.03,
        ));
    }
    if !ctx.quick {
        for (g, tol) in [(1.5, 0.01), (2.0, 0.015), (3.0, 0.02)] {
            if let Some(c) = find(&cells, largest, g, 0.0) {
                let dmft = c.theory.unwrap_or(f64::NAN);
                checks.push(Check::new(
                    format!("N = {largest}, g = {g}: λ against the DMFT"),
                    format!("{dmft:.4} ± {tol}"),
                    format!("{:.4} ± {:.4}", c.lambda[0], c.lambda[1]),
                    (c.lambda[0] - dmft).abs() <= tol,
                ));
            }
        }
        let at2: Vec<(f64, f64)> = [1000, 2000, 4000]
            .iter()
            .filter_map(|&n| find(&cells, n, 2.0, 0.0).map(|c| (n as f64, c.lambda[0])))
            .collect();
        if at2.len() == 3 {
            let increasing = at2.windows(2).all(|w| w[1].1 > w[0].1);
            checks.push(Check::new(
                "g = 2: λ increases with N (1000, 2000, 4000)",
                "≈ 0.092 < 0.102 < 0.110 (spec §1.9)",
                format!("{:.4} < {:.4} < {:.4}", at2[0].1, at2[1].1, at2[2].1),
                increasing,
            ));
            let inv: Vec<f64> = at2.iter().map(|p| 1.0 / p.0).collect();
            if let Some((infinite, _)) = linear_fit(&inv, &at2.iter().map(|p| p.1).collect::<Vec<_>>()) {
                let dmft = find(&cells, 4000, 2.0, 0.0).and_then(|c| c.theory).unwrap_or(f64::NAN);
                checks.push(Check::new(
                    "g = 2: λ∞ of the fit λ(N) = λ∞ − c/N against the DMFT",
                    format!("{dmft:.4} ± 0.01"),
                    format!("{infinite:.4}"),
                    (infinite - dmft).abs() <= 0.01,
                ));
            }
        }
    }
    let gap = cells.iter().filter_map(|c| c.twin_gap).reduce(f64::max);
    if let Some(gap) = gap {
        checks.push(Check::new(
            "twin trajectory against tangent vector, every network with a twin",
            "|difference| ≤ 0.005",
            format!("largest {gap:.2e}"),
            gap <= 0.005,
        ));
    }
    let mut out = Outcome::from_checks(checks, ctx.harness.interrupted());
    out.report.push(format!(
        "γ = 0, RK4 dt = 0.05, transient {transient}, T = {time}, {networks} networks per cell; twin (δ0 = 1e-8, \
         pulled back every time unit) at N ≤ 1000. Theory: g − 1 below g = 1, the library's SCS DMFT above."
    ));
    out.report.extend(report);
    for c in &cells {
        out.report.push(format!(
            "N = {}, g = {}: λ = {:.4} ± {:.4}{}, theory {}",
            c.n,
            c.g,
            c.lambda[0],
            c.lambda[1],
            c.twin.map(|t| format!(" (twin {:.4})", t[0])).unwrap_or_default(),
            c.theory.map(|t| format!("{t:.4}")).unwrap_or_else(|| "–".into())
        ));
    }
    out.table("cells", &cells)?;
    let scs = ScsOptions::default();
    let curve: Vec<(f64, f64)> = (0..=44)
        .map(|k| 0.8 + 0.05 * k as f64)
        .map(|g| Ok((g, if g < 1.0 { g - 1.0 } else { solve_scs(g, 0.0, &scs)?.lambda_max })))
        .collect::<Result<_>>()?;
    let mut series = vec![Series::line("theory (g − 1, DMFT)", curve)];
    for (i, &n) in sizes.iter().chain(if ctx.quick { &[][..] } else { &[4000][..] }).enumerate() {
        let pts: Vec<(f64, f64)> = cells.iter().filter(|c| c.n == n).map(|c| (c.g, c.lambda[0])).collect();
        series.push(Series::points(format!("N = {n}"), pts).colored(i + 1));
    }
    out.figure(
        Chart::new("lambda_g", "Largest Lyapunov exponent against g, γ = 0", "g", "λ_max")
            .series(series)
            .vline(1.0, "g_c"),
    );
    Ok(out)
}

/// Spec E2: the edge at g(1+γ) = 1 for γ ∈ {−0.5, 0, 0.5}; N = 1000, four networks, RK4
/// dt = 0.05, transient 200, T = 1000, g/g_c ∈ {0.8, 0.9, 1.2, 1.5, 2}. Checks: at g ≤ 0.9 g_c
/// ⟨x²⟩ < 1e-6 and λ within 0.02 of g(1+γ) − 1; at g ≥ 1.2 g_c ⟨x²⟩ > 0.05; at 2 g_c λ > 0 for
/// all three, ordered λ(−0.5) > λ(0) > λ(0.5). `--quick`: N = 500, two networks, transient 50,
/// T = 200, the same checks.
pub fn e2(ctx: &RunContext) -> Result<Outcome> {
    let (n, networks, transient, time) = if ctx.quick { (500, 2, 50.0, 200.0) } else { (1000, 4, 200.0, 1000.0) };
    let symmetries = [-0.5, 0.0, 0.5];
    let ratios = [0.8, 0.9, 1.2, 1.5, 2.0];
    let opts = LyapunovOptions { dt: 0.05, transient, time, sigma: 0.0 };
    ctx.harness.begin("networks", (symmetries.len() * ratios.len() * networks) as u64);
    let mut cells = Vec::new();
    for &gamma in &symmetries {
        for &r in &ratios {
            if ctx.harness.interrupted() {
                break;
            }
            if let Some(c) = cell(ctx, n, r * critical_gain(gamma), gamma, networks, &opts, false)? {
                cells.push(c);
            }
        }
    }
    let mut checks = Vec::new();
    for c in &cells {
        let r = c.g / critical_gain(c.gamma);
        if r <= 0.9 + 1e-9 {
            let want = c.g * (1.0 + c.gamma) - 1.0;
            checks.push(Check::new(
                format!("γ = {}, g = {r} g_c: ⟨x²⟩ and λ against g(1+γ) − 1", c.gamma),
                format!("⟨x²⟩ < 1e-6, λ = {want:.3} ± 0.02"),
                format!("⟨x²⟩ = {:.1e}, λ = {:.4}", c.mean_square[0], c.lambda[0]),
                c.mean_square[0] < 1e-6 && (c.lambda[0] - want).abs() <= 0.02,
            ));
        } else {
            checks.push(Check::new(
                format!("γ = {}, g = {r} g_c: sustained activity", c.gamma),
                "⟨x²⟩ > 0.05",
                format!("{:.4}", c.mean_square[0]),
                c.mean_square[0] > 0.05,
            ));
        }
    }
    let at2: Vec<f64> = symmetries
        .iter()
        .filter_map(|&gamma| find(&cells, n, 2.0 * critical_gain(gamma), gamma).map(|c| c.lambda[0]))
        .collect();
    if at2.len() == 3 {
        checks.push(Check::new(
            "g = 2 g_c: λ > 0 and λ(γ = −0.5) > λ(0) > λ(0.5)",
            "0.156 > 0.092 > 0.017 at N = 500 (spec §1.8)",
            format!("{:.4} > {:.4} > {:.4}", at2[0], at2[1], at2[2]),
            at2.iter().all(|&l| l > 0.0) && at2[0] > at2[1] && at2[1] > at2[2],
        ));
    }
    let mut out = Outcome::from_checks(checks, ctx.harness.interrupted());
    out.report.push(format!(
        "N = {n}, {networks} networks per cell, RK4 dt = 0.05, transient {transient}, T = {time}; g_c = 1/(1+γ)."
    ));
    for c in &cells {
        out.report.push(format!(
            "γ = {}, g = {:.4} ({} g_c): λ = {:.4} ± {:.4}, ⟨x²⟩ = {:.3e}",
            c.gamma,
            c.g,
            c.g / critical_gain(c.gamma),
            c.lambda[0],
            c.lambda[1],
            c.mean_square[0]
        ));
    }
    out.table("cells", &cells)?;
    let series = symmetries.iter().enumerate().map(|(i, &gamma)| {
        let pts =
            cells.iter().filter(|c| c.gamma == gamma).map(|c| (c.g / critical_gain(gamma), c.lambda[0])).collect();
        Series::points(format!("γ = {gamma}"), pts).colored(i)
    });
    out.figure(
        Chart::new("lambda_edge", format!("λ_max against g/g_c, N = {n}"), "g/g_c = g(1+γ)", "λ_max")
            .series(series)
            .vline(1.0, "g(1+γ) = 1"),
    );
    Ok(out)
}

/// c(τ)/c0 at τ = 1, 2, 5 and τ½ from spec §1.7: (g, values, τ½).
pub const CORRELATION_TABLE: &[(f64, [f64; 3], f64)] = &[
    (1.5, [0.9855, 0.9441, 0.7240], 7.85),
    (2.0, [0.9679, 0.8830, 0.5375], 5.36),
    (3.0, [0.9423, 0.8071, 0.3928], 4.08),
];

#[derive(Serialize)]
struct CorrelationRow {
    g: f64,
    networks: usize,
    mean_square: [f64; 2],
    phi2: [f64; 2],
    /// c(τ)/c0 at τ = 1, 2, 5.
    normalised: [[f64; 2]; 3],
    tau_half: [f64; 2],
    c0_dmft: f64,
    phi2_dmft: f64,
    normalised_dmft: [f64; 3],
    tau_half_dmft: Option<f64>,
}

/// Spec E3: the autocorrelation of networks against the SCS theory, N = 2000, g ∈ {1.5, 2, 3},
/// three networks, RK4 dt = 0.05, transient 200, T = 1000, lags to 20 every 0.1. Checks: ⟨x²⟩
/// and ⟨φ²⟩ within 2 % of the DMFT, c(τ)/c0 at τ = 1, 2, 5 within 0.03, τ½ within 10 %.
/// `--quick`: two networks at g = 2, transient 100, T = 300 (shorter runs or N = 1000 fall 2–5 % short of c0).
pub fn e3(ctx: &RunContext) -> Result<Outcome> {
    let (n, networks, gains, transient, time): (usize, usize, &[f64], f64, f64) =
        if ctx.quick { (2000, 2, &[2.0], 100.0, 300.0) } else { (2000, 3, &[1.5, 2.0, 3.0], 200.0, 1000.0) };
    let opts = CorrelationOptions {
        run: LyapunovOptions { dt: 0.05, transient, time, sigma: 0.0 },
        lag_max: 20.0,
        lag_step: 0.1,
    };
    let scs = ScsOptions::default();
    let taus = [1.0, 2.0, 5.0];
    let mut rows = Vec::new();
    let mut checks = Vec::new();
    let mut curves = Vec::new();
    ctx.harness.begin("networks", (gains.len() * networks) as u64);
    for (i, &g) in gains.iter().enumerate() {
        if ctx.harness.interrupted() {
            break;
        }
        let runs = network_autocorrelations(n, g, 0.0, networks, ctx.seed(), &opts, &ctx.harness.stop)?;
        ctx.harness.advance(networks as u64);
        let done: Vec<_> = runs.into_iter().flatten().filter(|r| !r.interrupted).collect();
        if done.is_empty() {
            continue;
        }
        let theory = solve_scs(g, 0.0, &scs)?;
        let stat = |f: &dyn Fn(&super::correlation::Autocorrelation) -> f64| {
            pair(mean_se(&done.iter().map(f).collect::<Vec<_>>()))
        };
        let normalised = taus.map(|t| stat(&|a| a.normalised_at(t).unwrap_or(f64::NAN)));
        let normalised_dmft = taus.map(|t| theory.autocorrelation(t) / theory.c0);
        let row = CorrelationRow {
            g,
            networks: done.len(),
            mean_square: stat(&|a| a.c0()),
            phi2: stat(&|a| a.phi2),
            normalised,
            tau_half: stat(&|a| a.half_time().unwrap_or(f64::NAN)),
            c0_dmft: theory.c0,
            phi2_dmft: theory.phi2,
            normalised_dmft,
            tau_half_dmft: theory.tau_half,
        };
        checks.push(Check::new(
            format!("g = {g}: ⟨x²⟩ and ⟨φ²⟩ against the DMFT"),
            format!("{:.4}, {:.4} (± 2 %)", theory.c0, theory.phi2),
            format!("{:.4} ± {:.4}, {:.4} ± {:.4}", row.mean_square[0], row.mean_square[1], row.phi2[0], row.phi2[1]),
            (row.mean_square[0] / theory.c0 - 1.0).abs() <= 0.02 && (row.phi2[0] / theory.phi2 - 1.0).abs() <= 0.02,
        ));
        let reference = CORRELATION_TABLE.iter().find(|r| r.0 == g).map(|r| r.1);
        checks.push(Check::new(
            format!("g = {g}: c(τ)/c0 at τ = 1, 2, 5 against the DMFT"),
            format!(
                "{:.4}, {:.4}, {:.4} (± 0.03){}",
                normalised_dmft[0],
                normalised_dmft[1],
                normalised_dmft[2],
                reference.map(|r| format!("; spec table {}, {}, {}", r[0], r[1], r[2])).unwrap_or_default()
            ),
            format!("{:.4}, {:.4}, {:.4}", normalised[0][0], normalised[1][0], normalised[2][0]),
            normalised.iter().zip(&normalised_dmft).all(|(m, d)| (m[0] - d).abs() <= 0.03),
        ));
        if let Some(half) = theory.tau_half {
            checks.push(Check::new(
                format!("g = {g}: τ½ against the DMFT"),
                format!("{half:.3} (± 10 %)"),
                format!("{:.3} ± {:.3}", row.tau_half[0], row.tau_half[1]),
                (row.tau_half[0] / half - 1.0).abs() <= 0.10,
            ));
        }
        let first = &done[0];
        curves.push(
            Series::line(
                format!("DMFT, g = {g}"),
                first.lags.iter().map(|&t| (t, theory.autocorrelation(t) / theory.c0)).collect(),
            )
            .colored(i),
        );
        curves.push(
            Series::points(
                format!("network 0, g = {g}"),
                first.lags.iter().zip(&first.c).step_by(5).map(|(&t, &c)| (t, c / first.c0())).collect(),
            )
            .colored(i),
        );
        rows.push(row);
    }
    let mut out = Outcome::from_checks(checks, ctx.harness.interrupted());
    out.report.push(format!(
        "γ = 0, N = {n}, {networks} networks per gain, RK4 dt = 0.05, transient {transient}, T = {time}; c(τ) = (1/N) \
         Σ_i ⟨x_i(t) x_i(t+τ)⟩ sampled every 0.1; DMFT: the library's SCS solver."
    ));
    for r in &rows {
        out.report.push(format!(
            "g = {}: ⟨x²⟩ = {:.4} (DMFT {:.4}), ⟨φ²⟩ = {:.4} (DMFT {:.4}), c/c0 at 1, 2, 5 = {:.4}, {:.4}, {:.4} \
             (DMFT {:.4}, {:.4}, {:.4}), τ½ = {:.3} (DMFT {})",
            r.g,
            r.mean_square[0],
            r.c0_dmft,
            r.phi2[0],
            r.phi2_dmft,
            r.normalised[0][0],
            r.normalised[1][0],
            r.normalised[2][0],
            r.normalised_dmft[0],
            r.normalised_dmft[1],
            r.normalised_dmft[2],
            r.tau_half[0],
            r.tau_half_dmft.map(|t| format!("{t:.3}")).unwrap_or_else(|| "–".into())
        ));
    }
    out.table("gains", &rows)?;
    out.figure(
        Chart::new("autocorrelation", format!("c(τ)/c0, networks (N = {n}) and DMFT"), "τ", "c/c0").series(curves),
    );
    Ok(out)
}

#[derive(Serialize)]
struct PhaseCell {
    cell: usize,
    g: f64,
    gamma: f64,
    /// g(1 + γ): above 1 the theory predicts sustained activity.
    edge_ratio: f64,
    networks: usize,
    /// Networks whose time-averaged ⟨x²⟩ exceeds 1e-3.
    active: usize,
    lambda: [f64; 2],
    mean_square: [f64; 2],
}

/// The phase diagram in (g, γ): a grid of cells, each with its own seed drawn from
/// `(seed, [CHAOS_PHASE, cell])`, measuring λ_max and ⟨x²⟩ of its networks (RK4 dt = 0.05).
/// Full: g = 0.2…2.0 × γ = −0.8…0.8 in steps of 0.2 (90 cells), N = 300, two networks, transient
/// 200, T = 300; `--quick`: a 5 × 5 grid at N = 100, one network, T = 100. The check: away from the
/// edge (|g(1+γ) − 1| > 0.2) every network is active (⟨x²⟩ > 1e-3) exactly where g(1+γ) > 1.
/// λ > 0 is not asked of the active cells: reciprocity (γ > 0) suppresses chaos at these sizes
/// (spec §1.8), while the activity itself follows the edge.
pub fn phase(ctx: &RunContext) -> Result<Outcome> {
    use crate::engine::rng::stream_path;
    use crate::experiment::streams::CHAOS_PHASE;
    use rand::RngCore;
    let (gains, symmetries, n, networks, transient, time): (Vec<f64>, Vec<f64>, usize, usize, f64, f64) = if ctx.quick {
        (vec![0.4, 0.8, 1.2, 1.6, 2.0], vec![-0.8, -0.4, 0.0, 0.4, 0.8], 100, 1, 50.0, 100.0)
    } else {
        ((1..=10).map(|k| 0.2 * k as f64).collect(), (-4..=4).map(|k| 0.2 * k as f64).collect(), 300, 2, 200.0, 300.0)
    };
    let opts = LyapunovOptions { dt: 0.05, transient, time, sigma: 0.0 };
    let grid: Vec<(f64, f64)> = symmetries.iter().flat_map(|&gm| gains.iter().map(move |&g| (g, gm))).collect();
    ctx.harness.begin("cells", grid.len() as u64);
    let mut cells = Vec::new();
    for (c, &(g, gamma)) in grid.iter().enumerate() {
        if ctx.harness.interrupted() {
            break;
        }
        let seed = stream_path(ctx.seed(), &[CHAOS_PHASE, c as u64]).next_u64();
        let runs = exponents(n, g, gamma, networks, seed, &opts, false, &ctx.harness.stop)?;
        ctx.harness.advance(1);
        let done: Vec<_> = runs.into_iter().flatten().filter(|r| r.lambda.is_finite()).collect();
        if done.is_empty() {
            continue;
        }
        cells.push(PhaseCell {
            cell: c,
            g,
            gamma,
            edge_ratio: g * (1.0 + gamma),
            networks: done.len(),
            active: done.iter().filter(|r| r.mean_square > 1e-3).count(),
            lambda: pair(mean_se(&done.iter().map(|r| r.lambda).collect::<Vec<_>>())),
            mean_square: pair(mean_se(&done.iter().map(|r| r.mean_square).collect::<Vec<_>>())),
        });
    }
    let clear: Vec<&PhaseCell> = cells.iter().filter(|c| (c.edge_ratio - 1.0).abs() > 0.2).collect();
    let wrong: Vec<String> = clear
        .iter()
        .filter(|c| if c.edge_ratio > 1.0 { c.active < c.networks } else { c.active > 0 })
        .map(|c| format!("(g = {:.1}, γ = {:.1})", c.g, c.gamma))
        .collect();
    let checks = vec![Check::new(
        "away from the edge (|g(1+γ) − 1| > 0.2), sustained activity exactly where g(1+γ) > 1",
        format!("all {} cells", clear.len()),
        if wrong.is_empty() { format!("all {} cells", clear.len()) } else { format!("wrong in {}", wrong.join(", ")) },
        wrong.is_empty(),
    )];
    let mut out = Outcome::from_checks(checks, ctx.harness.interrupted());
    out.report.push(format!(
        "{} cells, N = {n}, {networks} networks per cell (cell c seeded by (seed, c)), RK4 dt = 0.05, transient \
         {transient}, T = {time}; active: ⟨x²⟩ > 1e-3.",
        grid.len()
    ));
    let chaotic = cells.iter().filter(|c| c.lambda[0] > 0.0).count();
    let active = cells.iter().filter(|c| c.active > 0).count();
    out.report.push(format!("{active} cells active, {chaotic} with mean λ > 0, of {}", cells.len()));
    out.table("cells", &cells)?;
    let marks = |keep: &dyn Fn(&PhaseCell) -> bool| -> Vec<(f64, f64)> {
        cells.iter().filter(|c| keep(c)).map(|c| (c.g, c.gamma)).collect()
    };
    let edge: Vec<(f64, f64)> =
        (0..=60).map(|k| 0.5 + 0.025 * k as f64).map(|g| (g, 1.0 / g - 1.0)).filter(|p| p.1 >= -0.9).collect();
    out.figure(Chart::new("phase_diagram", format!("Phase diagram, N = {n}"), "g", "γ").series([
        Series::line("g(1+γ) = 1", edge),
        Series::points("decays", marks(&|c| c.active == 0)).colored(1),
        Series::points("active, λ ≤ 0", marks(&|c| c.active > 0 && c.lambda[0] <= 0.0)).colored(2),
        Series::points("active, λ > 0 (chaotic)", marks(&|c| c.active > 0 && c.lambda[0] > 0.0)).colored(3),
    ]));
    let lambda_series = symmetries.iter().enumerate().map(|(i, &gm)| {
        Series::line(
            format!("γ = {gm:.1}"),
            cells.iter().filter(|c| c.gamma == gm).map(|c| (c.g, c.lambda[0])).collect(),
        )
        .colored(i)
    });
    out.figure(Chart::new("lambda_g_gamma", format!("λ_max against g, N = {n}"), "g", "λ_max").series(lambda_series));
    Ok(out)
}
