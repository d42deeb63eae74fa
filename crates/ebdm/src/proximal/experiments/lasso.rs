//! SM-LASSO by every solver and dynamics: A3 (optimum, support, KKT, gap), A4 (Euler = ISTA),
//! A5 (iteration counts), A6 (monotone objective), A7 (continuous time), A8 (composite problems).

use super::*;

/// The solvers of A3, each run to a relative duality gap of 1e-12.
pub fn a3_solvers(p: &SmLasso) -> Result<Vec<SolveReport>> {
    let g = p.l1();
    let opts = Options { limits: RunLimits::steps(20_000).with_tol(1e-12), check_every: 5, ..Options::default() };
    let mut out = Vec::new();
    for m in [
        Method::Ista,
        Method::Fista { restart: false },
        Method::Fista { restart: true },
        Method::Pgd { h: 1.0 },
        Method::Lca { h: 1.0 },
    ] {
        out.push(solve(&p.f, &g, None, m, &opts)?);
    }
    let cd = CdPenalty { l1: p.lambda, l2: 0.0, nonneg: false };
    out.push(coordinate_descent(
        &p.f,
        cd,
        None,
        &Options { limits: RunLimits::steps(100_000).with_tol(1e-12), ..Options::default() },
    )?);
    Ok(out)
}

/// A3: the fixture's constants and every solver at the reference optimum, support and KKT.
pub fn a3() -> Result<Outcome> {
    let p = SmLasso::new()?;
    let mut checks = vec![
        Check::new(
            "λ_max",
            fmt(reference::LAMBDA_MAX),
            fmt(p.f.lambda_max()),
            rel(p.f.lambda_max(), reference::LAMBDA_MAX) <= 1e-13,
        ),
        Check::new(
            "L = ‖X‖²/n",
            fmt(reference::LIPSCHITZ),
            fmt(p.f.lipschitz()),
            rel(p.f.lipschitz(), reference::LIPSCHITZ) <= 1e-12,
        ),
    ];
    let f0 = p.f.value(&vec![0.0; 2000], &mut Vec::new());
    checks.push(Check::new("F(0)", fmt(reference::F0), fmt(f0), rel(f0, reference::F0) <= 1e-13));
    let want = SmLasso::reference_support();
    for r in a3_solvers(&p)? {
        let gap_rel = (r.objective - reference::P_STAR) / reference::P_STAR;
        checks.push(Check::new(
            format!("{}: (P − P*)/P*", r.solver),
            "≤ 1e-9",
            format!("{gap_rel:.2e} ({} iterations)", r.iterations),
            gap_rel <= 1e-9,
        ));
        let s = support(&r.x, 1e-6);
        checks.push(Check::new(
            format!("{}: support", r.solver),
            "54 = 50 planted + {77, 156, 795, 1493}",
            format!("{} entries{}", s.len(), if s == want { ", equal" } else { ", differ" }),
            s == want,
        ));
        let (act, inact) = lasso_kkt(&p, &r.x);
        checks.push(Check::new(
            format!("{}: KKT active / inactive", r.solver),
            "≤ 1e-6 / ≤ 1 + 1e-6 (× λ)",
            format!("{act:.1e} / {inact:.9}"),
            act <= 1e-6 && inact <= 1.0 + 1e-6,
        ));
        let gap = r.gap.unwrap_or(f64::INFINITY);
        checks.push(Check::new(
            format!("{}: duality gap", r.solver),
            format!("≤ {:.2e}", 1e-8 * reference::P_STAR),
            format!("{gap:.2e}"),
            gap <= 1e-8 * reference::P_STAR,
        ));
        if r.solver == "cd" {
            let l1: f64 = r.x.iter().map(|v| v.abs()).sum();
            checks.push(Check::new("‖w*‖₁", fmt(reference::W_L1), fmt(l1), rel(l1, reference::W_L1) <= 1e-8));
            let (_, inact) = lasso_kkt(&p, &r.x);
            let margin = p.lambda * (1.0 - inact);
            checks.push(Check::new(
                "KKT margin λ − max_{j∉S}|X_jᵀr|/n",
                format!("{}", reference::KKT_MARGIN),
                format!("{margin:.6}"),
                (margin - reference::KKT_MARGIN).abs() <= 1e-6,
            ));
            let (lo, hi) = p.f.operator().support_gram_extremes(&want)?;
            let (lo, hi) = (lo / 500.0, hi / 500.0);
            checks.push(Check::new(
                "λ_min, λ_max of X_SᵀX_S/n",
                format!("{}, {}", reference::SUPPORT_EIG.0, reference::SUPPORT_EIG.1),
                format!("{lo:.5}, {hi:.5}"),
                (lo - reference::SUPPORT_EIG.0).abs() <= 1e-5 && (hi - reference::SUPPORT_EIG.1).abs() <= 1e-5,
            ));
        }
    }
    Ok(Outcome { checks, ..Outcome::default() })
}

/// A4: 50 Euler steps with h = 1 of both dynamics equal 50 ISTA steps.
pub fn a4() -> Result<Outcome> {
    let p = SmLasso::new()?;
    let g = p.l1();
    let opts = Options { limits: RunLimits::steps(50), ..Options::default() };
    let ista = solve(&p.f, &g, None, Method::Ista, &opts)?;
    let pgd = solve(&p.f, &g, None, Method::Pgd { h: 1.0 }, &opts)?;
    let lca = solve(&p.f, &g, None, Method::Lca { h: 1.0 }, &opts)?;
    let diff = |a: &[f64]| a.iter().zip(&ista.x).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    let (dp, dl) = (diff(&pgd.x), diff(&lca.x));
    Ok(Outcome {
        checks: vec![
            Check::new("max|x_pgd − x_ista| after 50 steps", "≤ 1e-12", format!("{dp:.1e}"), dp <= 1e-12),
            Check::new("max|T(u_lca) − x_ista| after 50 steps", "≤ 1e-12", format!("{dl:.1e}"), dl <= 1e-12),
        ],
        ..Outcome::default()
    })
}

/// A5: iterations to relative sub-optimality 1e-4, 1e-8 and 1e-10; also the objective-gap
/// figure of every solver: ISTA, FISTA, FISTA + restart, PGD, LCA and coordinate descent.
pub fn a5() -> Result<Outcome> {
    let p = SmLasso::new()?;
    let g = p.l1();
    let opts = Options { limits: RunLimits::steps(400), trace: true, ..Options::default() };
    let table = [
        (Method::Ista, [113, 189, 230]),
        (Method::Fista { restart: false }, [44, 128, 185]),
        (Method::Fista { restart: true }, [31, 50, 69]),
    ];
    let mut checks = Vec::new();
    let mut curves = Vec::new();
    for (m, want) in table {
        let r = solve(&p.f, &g, None, m, &opts)?;
        for (level, w) in [1e-4, 1e-8, 1e-10].into_iter().zip(want) {
            let got = first_below(&r.trace, level);
            let pass = got.is_some_and(|k| (k as i64 - w as i64).abs() <= 2);
            checks.push(Check::new(
                format!("{}: iterations to {level:.0e}", r.solver),
                format!("{w} ± 2"),
                got.map_or("not reached".into(), |k| k.to_string()),
                pass,
            ));
        }
        curves.push(Curve { name: r.solver.clone(), points: gap_curve(&r) });
    }
    let pgd = solve(&p.f, &g, None, Method::Pgd { h: 0.5 }, &opts)?;
    curves.push(Curve { name: "pgd Euler h = 0.5".into(), points: gap_curve(&pgd) });
    let lca = solve(&p.f, &g, None, Method::Lca { h: 1.0 }, &opts)?;
    curves.push(Curve { name: "lca Euler h = 1".into(), points: gap_curve(&lca) });
    let cd_opts = Options { limits: opts.limits.clone().with_tol(1e-14), ..opts.clone() };
    let cd = coordinate_descent(&p.f, CdPenalty { l1: p.lambda, l2: 0.0, nonneg: false }, None, &cd_opts)?;
    curves.push(Curve { name: "cd (epochs)".into(), points: gap_curve(&cd) });
    let figure = Plot {
        stem: "objective_gap".into(),
        title: "SM-LASSO: (F − P*)/P* against iteration".into(),
        x_label: "iteration (epochs over the working set for cd)".into(),
        y_label: "relative sub-optimality".into(),
        log_y: true,
        curves,
    };
    Ok(Outcome { checks, figures: vec![figure.into()], ..Outcome::default() })
}

/// A6: `F(x_k)` (PGD) and `F(T(u_k))` (LCA) never rise by more than 1e-12·F(0) over `300/h`
/// Euler steps for each `h`.
pub fn a6(hs: &[f64]) -> Result<Outcome> {
    let p = SmLasso::new()?;
    let g = p.l1();
    let mut checks = Vec::new();
    let mut curves = Vec::new();
    for &h in hs {
        let steps = (300.0 / h).round() as usize;
        let opts = Options { limits: RunLimits::steps(steps), trace: true, ..Options::default() };
        for m in [Method::Pgd { h }, Method::Lca { h }] {
            let r = solve(&p.f, &g, None, m, &opts)?;
            let rise = r.trace.windows(2).map(|w| w[1].objective - w[0].objective).fold(f64::NEG_INFINITY, f64::max);
            let bound = 1e-12 * reference::F0;
            checks.push(Check::new(
                format!("{}: largest rise of F over {steps} steps", r.solver),
                format!("≤ {bound:.1e}"),
                format!("{rise:.2e}"),
                rise <= bound,
            ));
            curves.push(Curve {
                name: r.solver.clone(),
                points: r
                    .trace
                    .iter()
                    .map(|t| (t.t, (t.objective - reference::P_STAR) / reference::P_STAR))
                    .filter(|p| p.1 > 0.0)
                    .collect(),
            });
        }
    }
    let figure = Plot {
        stem: "gap_vs_time".into(),
        title: "SM-LASSO dynamics: (F − P*)/P* against t/τ".into(),
        x_label: "t/τ".into(),
        y_label: "relative sub-optimality".into(),
        log_y: true,
        curves,
    };
    Ok(Outcome { checks, figures: vec![figure.into()], ..Outcome::default() })
}

/// A7: the time `steps·h` to reach 1e-8 does not depend on `h`, and the local rate on the
/// support matches `γ·λ_min(X_SᵀX_S/n)`.
pub fn a7() -> Result<Outcome> {
    let p = SmLasso::new()?;
    let g = p.l1();
    let mut checks = Vec::new();
    for h in [1.0f64, 0.5, 0.2, 0.1] {
        let steps = (260.0 / h).round() as usize;
        let r = solve(
            &p.f,
            &g,
            None,
            Method::Pgd { h },
            &Options { limits: RunLimits::steps(steps), trace: true, ..Options::default() },
        )?;
        let t = first_below(&r.trace, 1e-8).map(|k| k as f64 * h);
        checks.push(Check::new(
            format!("pgd h = {h}: t/τ to 1e-8"),
            "in [186, 194]",
            t.map_or("not reached".into(), |t| format!("{t:.1}")),
            t.is_some_and(|t| (186.0..=194.0).contains(&t)),
        ));
    }
    // Reference optimum, then the distance along the h = 0.1 trajectory.
    let star = coordinate_descent(
        &p.f,
        CdPenalty { l1: p.lambda, l2: 0.0, nonneg: false },
        None,
        &Options { limits: RunLimits::steps(100_000).with_tol(1e-15), ..Options::default() },
    )?;
    let h = 0.1;
    let mut dist = Vec::new();
    solve_observed(
        &p.f,
        &g,
        None,
        Method::Pgd { h },
        &Options { limits: RunLimits::steps(1200), ..Options::default() },
        &mut |k, x| {
            let d: f64 = x.iter().zip(&star.x).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
            dist.push((k as f64 * h, d));
        },
    )?;
    let window: Vec<(f64, f64)> =
        dist.iter().filter(|(t, _)| (60.0..=120.0).contains(t)).map(|&(t, d)| (t, d.ln())).collect();
    let (ts, logs): (Vec<f64>, Vec<f64>) = window.into_iter().unzip();
    let (_, slope) = crate::experiment::linear_fit(&ts, &logs).unwrap_or((f64::NAN, f64::NAN));
    let (lo, _) = p.f.operator().support_gram_extremes(&support(&star.x, 0.0))?;
    let predicted = lo / 500.0 / p.f.lipschitz();
    let rate = -slope;
    checks.push(Check::new(
        "rate of ‖x(t) − x*‖ on t/τ ∈ [60, 120] (h = 0.1)",
        format!("{predicted:.6} ± 3 % (γ·λ_min(X_SᵀX_S/n))"),
        format!("{rate:.6}"),
        rel(rate, predicted) <= 0.03,
    ));
    checks.push(Check::new(
        "predicted rate",
        "0.052350",
        format!("{predicted:.6}"),
        (predicted - 0.052350).abs() <= 5e-6,
    ));
    let figure = Plot {
        stem: "distance_to_optimum".into(),
        title: "PGD (Euler h = 0.1): ‖x(t) − x*‖".into(),
        x_label: "t/τ".into(),
        y_label: "distance".into(),
        log_y: true,
        curves: vec![Curve { name: "‖x(t) − x*‖".into(), points: dist }],
    };
    Ok(Outcome { checks, figures: vec![figure.into()], ..Outcome::default() })
}

/// A8: nonnegative Lasso, elastic net and group lasso on SM-LASSO against reference values.
pub fn a8() -> Result<Outcome> {
    let p = SmLasso::new()?;
    let mut checks = Vec::new();
    let tight = Options { limits: RunLimits::steps(100_000).with_tol(1e-13), ..Options::default() };
    // (a) nonnegative Lasso, by coordinate descent and by FISTA.
    let cd = coordinate_descent(&p.f, CdPenalty { l1: p.lambda, l2: 0.0, nonneg: true }, None, &tight)?;
    let fista = solve(&p.f, &L1Nonneg { lambda: p.lambda }, None, Method::Fista { restart: true }, &tight)?;
    for r in [&cd, &fista] {
        let min = r.x.iter().cloned().fold(f64::INFINITY, f64::min);
        let nnz = support(&r.x, 1e-6).len();
        let e = rel(r.objective, reference::NONNEG_P);
        checks.push(Check::new(
            format!("(a) nonneg, {}: P, nnz, min w", r.solver),
            format!("{} ± 1e-9 rel, 252, ≥ 0", reference::NONNEG_P),
            format!("{:.14} ({e:.1e}), {nnz}, {min:.2e}", r.objective),
            e <= 1e-9 && nnz == 252 && min >= 0.0,
        ));
    }
    // (b) elastic net in scikit-learn's parametrisation.
    let enet = ElasticNet::from_alpha(reference::ENET_ALPHA, 0.5)?;
    let cd = coordinate_descent(&p.f, CdPenalty { l1: enet.l1, l2: enet.l2, nonneg: false }, None, &tight)?;
    let fista = solve(&p.f, &enet, None, Method::Fista { restart: true }, &tight)?;
    for r in [&cd, &fista] {
        let nnz = support(&r.x, 1e-6).len();
        let e = rel(r.objective, reference::ENET_P);
        checks.push(Check::new(
            format!("(b) elastic net, {}: P, nnz", r.solver),
            format!("{} ± 1e-9 rel, 227", reference::ENET_P),
            format!("{:.14} ({e:.1e}), {nnz}", r.objective),
            e <= 1e-9 && nnz == 227,
        ));
    }
    // (c) group lasso, groups of 5, weights √5, λ = 0.1·λ_g,max.
    let c0 = p.f.correlation(p.f.targets());
    let probe = GroupL2::consecutive(1.0, 2000, 5)?;
    let gmax = probe.lambda_max(&c0);
    checks.push(Check::new(
        "(c) λ_g,max",
        fmt(reference::GROUP_LAMBDA_MAX),
        fmt(gmax),
        rel(gmax, reference::GROUP_LAMBDA_MAX) <= 1e-12,
    ));
    let group = GroupL2::consecutive(0.1 * gmax, 2000, 5)?;
    let r = solve(&p.f, &group, None, Method::Fista { restart: true }, &tight)?;
    let active = group.groups().iter().filter(|g| r.x[(*g).clone()].iter().any(|v| *v != 0.0)).count();
    let kkt = r.kkt.unwrap_or(f64::INFINITY);
    checks.push(Check::new(
        "(c) group lasso: active groups, KKT",
        "94, ≤ 1e-8",
        format!("{active}, {kkt:.1e}"),
        active == 94 && kkt <= 1e-8,
    ));
    Ok(Outcome { checks, ..Outcome::default() })
}
