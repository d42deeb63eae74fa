//! `ebdm chaos`: the mean-field theories of random recurrent networks at the edge of chaos.

use anyhow::Result;
use clap::{Args, Subcommand};
use ebdm::chaos::{
    self, CorrelationOptions, FixedPointOptions, LangevinOptions, LyapunovOptions, NetworkFixedPoints, NetworkLangevin,
    PointKind, ScsOptions, Spectrum, SpectrumOptions, Starts, StaticOptions,
};
use ebdm::experiment::mean_se;
use serde_json::json;

use crate::output::{metadata, Env, JsonOut};

#[derive(Subcommand, Debug)]
pub enum ChaosCommand {
    /// Dynamical mean-field theory of dx/dt = −x + J tanh(x) + ξ with iid couplings of variance
    /// g²/N and white noise of strength σ (Sompolinsky–Crisanti–Sommers): c0 = ⟨x²⟩, ⟨φ²⟩, the
    /// largest Lyapunov exponent, the decay rate κ and the half-time τ½ of the autocorrelation;
    /// with σ > 0 also the noise-shifted transition and the local-expansiveness coupling.
    Dmft(DmftArgs),
    /// Static mean-field theory of the fixed points for elliptic couplings (gain g, symmetry γ;
    /// Qiu & Huang): C = ⟨tanh²x*⟩ and the integrated response R_int, next to the
    /// elliptic-law resolvent and the edge g_c = 1/(1+γ).
    Static(StaticArgs),
    /// Largest Lyapunov exponent of random networks dx/dt = −x + J tanh(x) with elliptic
    /// couplings (variance g²/N, symmetry γ, zero diagonal): one tangent vector renormalised
    /// after every RK4 step (the ODE's exponent, not the Euler map's), optionally checked by a
    /// twin trajectory; mean ± standard error over networks, next to the theory (g(1+γ) − 1 in
    /// the ordered phase, the DMFT value for γ = 0).
    Lyapunov(LyapunovArgs),
    /// Lyapunov spectrum (all N exponents or the leading k) by QR re-orthonormalisation every
    /// t_ONS, for the ODE (RK4) or its Euler map (`--mode euler-map`, Engelken's convention):
    /// the exponents with bootstrap 95 % intervals of λ_1 and λ_k, the Kaplan–Yorke dimension,
    /// the entropy rate (sum of the positive exponents) and the participation-ratio dimension
    /// of the activity, per network.
    Spectrum(SpectrumArgs),
    /// Overdamped Langevin dynamics dx = −∇E dt + √(2/β) dW on Qiu & Huang's quasi-potential
    /// E = ½|−x + J tanh x|² (+ η|x|²), with β annealed linearly from `--beta-start` over
    /// `--anneal`, then averaged over the last `--window`: E/N (equipartition is 1/(2β)), ⟨x²⟩,
    /// ⟨φ²⟩ per chain. `--beta inf` is gradient descent.
    Langevin(LangevinArgs),
    /// Stationary autocorrelation c(τ) = (1/N) Σ_i ⟨x_i(t) x_i(t+τ)⟩ of simulated networks
    /// (RK4, or Euler–Maruyama with noise σ), with ⟨φ²⟩ and the half-time τ½, next to the SCS
    /// DMFT (γ = 0): per network, c(τ)/c0 at τ = 1, 2, 5; the whole curve in the JSON output.
    Autocorrelation(AutocorrelationArgs),
    /// Fixed and slow points of random networks as the minima of the quasi-potential
    /// E = ½|−x + J tanh x|²: L-BFGS on E from each start, then Newton on F(x) = 0; distinct
    /// points with E/N, ⟨x²⟩, ⟨φ²⟩, the largest real part of the Jacobian's eigenvalues and the
    /// number of unstable directions. Starts from the network's own trajectory (default) or
    /// random.
    FixedPoints(FixedPointArgs),
}

#[derive(Args, Debug)]
pub struct FixedPointArgs {
    /// Units N.
    #[arg(long, default_value_t = 200)]
    pub n: usize,
    /// Gain g.
    #[arg(long, default_value_t = 2.0, allow_hyphen_values = true)]
    pub g: f64,
    /// Coupling symmetry γ in [−1, 1].
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub gamma: f64,
    /// Starts per network.
    #[arg(long, default_value_t = 20)]
    pub starts: usize,
    /// Where the starts come from: `trajectory` (states of the network's own trajectory,
    /// every --spacing after --transient) or `random` (--scale · N(0, 1)).
    #[arg(long, default_value = "trajectory")]
    pub from: String,
    #[arg(long, default_value_t = 100.0, allow_hyphen_values = true)]
    pub transient: f64,
    #[arg(long, default_value_t = 5.0, allow_hyphen_values = true)]
    pub spacing: f64,
    #[arg(long, default_value_t = 1.5, allow_hyphen_values = true)]
    pub scale: f64,
    /// A point is fixed when |F(x)|/√N is below this.
    #[arg(long, default_value_t = 1e-10, allow_hyphen_values = true)]
    pub tol: f64,
    /// Independent networks (network s uses the streams (seed, s), as `chaos lyapunov` does).
    #[arg(long, default_value_t = 1)]
    pub networks: usize,
    /// Also write the points' coordinates into the JSON output.
    #[arg(long)]
    pub coordinates: bool,
    #[command(flatten)]
    pub json: JsonOut,
}

#[derive(Args, Debug)]
pub struct AutocorrelationArgs {
    /// Units N.
    #[arg(long, default_value_t = 1000)]
    pub n: usize,
    /// Gain g.
    #[arg(long, default_value_t = 2.0, allow_hyphen_values = true)]
    pub g: f64,
    /// Coupling symmetry γ in [−1, 1].
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub gamma: f64,
    /// Independent networks (network s uses the streams (seed, s), as `chaos lyapunov` does).
    #[arg(long, default_value_t = 2)]
    pub networks: usize,
    /// RK4 (or Euler–Maruyama) step.
    #[arg(long, default_value_t = 0.05, allow_hyphen_values = true)]
    pub dt: f64,
    /// Transient discarded before measuring.
    #[arg(long, default_value_t = 200.0, allow_hyphen_values = true)]
    pub transient: f64,
    /// Measuring time.
    #[arg(long, default_value_t = 1000.0, allow_hyphen_values = true)]
    pub time: f64,
    /// Largest lag.
    #[arg(long, default_value_t = 20.0, allow_hyphen_values = true)]
    pub lag_max: f64,
    /// Spacing of the lags.
    #[arg(long, default_value_t = 0.1, allow_hyphen_values = true)]
    pub lag_step: f64,
    /// White-noise strength σ (⟨ξξ⟩ = σ²δ).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub sigma: f64,
    #[command(flatten)]
    pub json: JsonOut,
}

#[derive(Args, Debug)]
pub struct LangevinArgs {
    /// Units N.
    #[arg(long, default_value_t = 500)]
    pub n: usize,
    /// Gain g.
    #[arg(long, default_value_t = 0.8, allow_hyphen_values = true)]
    pub g: f64,
    /// Coupling symmetry γ in [−1, 1].
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub gamma: f64,
    /// L2 confinement η ≥ 0.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub eta: f64,
    /// Target inverse temperature (`inf`: gradient descent).
    #[arg(long, default_value_t = 100.0, allow_hyphen_values = true)]
    pub beta: f64,
    /// Euler–Maruyama step (must stay below 2/λ_max(∇²E(0)) ≈ 2/(1+2g)²).
    #[arg(long, default_value_t = 0.02, allow_hyphen_values = true)]
    pub dt: f64,
    /// Total time.
    #[arg(long, default_value_t = 600.0, allow_hyphen_values = true)]
    pub time: f64,
    /// Annealing time (β rises linearly from --beta-start to --beta); 0: none.
    #[arg(long, default_value_t = 200.0, allow_hyphen_values = true)]
    pub anneal: f64,
    /// β at the start of the annealing.
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub beta_start: f64,
    /// Averaging window at the end of the run.
    #[arg(long, default_value_t = 300.0, allow_hyphen_values = true)]
    pub window: f64,
    /// Chains per network (columns of one matrix: two GEMMs per step for all of them).
    #[arg(long, default_value_t = 4)]
    pub chains: usize,
    /// Chains start at scale·N(0, 1) per unit.
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub init_scale: f64,
    /// Independent networks (network s seeded by (seed, s)).
    #[arg(long, default_value_t = 1)]
    pub networks: usize,
    #[command(flatten)]
    pub json: JsonOut,
}

#[derive(Args, Debug)]
pub struct SpectrumArgs {
    /// Units N.
    #[arg(long, default_value_t = 256)]
    pub n: usize,
    /// Gain g.
    #[arg(long, default_value_t = 4.0, allow_hyphen_values = true)]
    pub g: f64,
    /// Coupling symmetry γ in [−1, 1].
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub gamma: f64,
    /// Number of exponents: `all` or k ≤ N.
    #[arg(long, default_value = "all")]
    pub k: String,
    /// `ode` (RK4 on the flow) or `euler-map` (x ← (1 − dt)x + dt J tanh x).
    #[arg(long, default_value = "ode")]
    pub mode: String,
    /// Time step.
    #[arg(long, default_value_t = 0.1, allow_hyphen_values = true)]
    pub dt: f64,
    /// State warm-up.
    #[arg(long, default_value_t = 100.0, allow_hyphen_values = true)]
    pub transient: f64,
    /// Warm-up of the orthonormal system.
    #[arg(long, default_value_t = 100.0, allow_hyphen_values = true)]
    pub ons_warmup: f64,
    /// Measured time.
    #[arg(long, default_value_t = 1000.0, allow_hyphen_values = true)]
    pub time: f64,
    /// Time between re-orthonormalisations.
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub t_ons: f64,
    /// Independent networks (network s uses the streams (seed, s), as `chaos lyapunov` does).
    #[arg(long, default_value_t = 1)]
    pub networks: usize,
    /// Bootstrap resamples for the intervals (0: none).
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// Skip the participation-ratio dimension (saves 2 N² memory).
    #[arg(long)]
    pub no_pca: bool,
    #[command(flatten)]
    pub json: JsonOut,
}

#[derive(Args, Debug)]
pub struct LyapunovArgs {
    /// Units N.
    #[arg(long, default_value_t = 500)]
    pub n: usize,
    /// Gains g (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "2", allow_hyphen_values = true)]
    pub g: Vec<f64>,
    /// Coupling symmetry γ in [−1, 1].
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub gamma: f64,
    /// Independent networks per gain (network s uses the streams (seed, s)).
    #[arg(long, default_value_t = 4)]
    pub networks: usize,
    /// RK4 step.
    #[arg(long, default_value_t = 0.05, allow_hyphen_values = true)]
    pub dt: f64,
    /// Transient discarded before measuring.
    #[arg(long, default_value_t = 200.0, allow_hyphen_values = true)]
    pub transient: f64,
    /// Measuring time.
    #[arg(long, default_value_t = 1000.0, allow_hyphen_values = true)]
    pub time: f64,
    /// Also estimate λ from a twin trajectory (δ0 = 1e-8, pulled back every time unit; with
    /// noise it receives the same noise increments).
    #[arg(long)]
    pub twin: bool,
    /// White-noise strength σ (⟨ξξ⟩ = σ²δ): Euler–Maruyama with step dt instead of RK4, and the
    /// exponent conditional on the noise.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub sigma: f64,
    #[command(flatten)]
    pub json: JsonOut,
}

#[derive(Args, Debug)]
pub struct DmftArgs {
    /// Gains g (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1.5", allow_hyphen_values = true)]
    pub g: Vec<f64>,
    /// Noise strength σ (⟨ξ(t)ξ(s)⟩ = σ²δ(t−s)).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub sigma: f64,
    /// Gauss–Hermite nodes per Gaussian average.
    #[arg(long, default_value_t = 101)]
    pub nodes: usize,
    #[command(flatten)]
    pub json: JsonOut,
}

#[derive(Args, Debug)]
pub struct StaticArgs {
    /// Gains g (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1.2", allow_hyphen_values = true)]
    pub g: Vec<f64>,
    /// Coupling symmetry γ = corr(J_ij, J_ji) in [−1, 1].
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub gamma: f64,
    /// Response update: `authors` (R = ⟨φ'(1 + wR)⟩, as in Qiu & Huang's code) or `cavity`
    /// (R = ⟨φ'/(1 − wφ')⟩).
    #[arg(long, default_value = "authors")]
    pub response: String,
    /// Gauss–Hermite nodes.
    #[arg(long, default_value_t = 201)]
    pub nodes: usize,
    #[command(flatten)]
    pub json: JsonOut,
}

pub fn run(env: &Env, cmd: &ChaosCommand) -> Result<()> {
    match cmd {
        ChaosCommand::Dmft(a) => dmft(env, a),
        ChaosCommand::Static(a) => static_fixed_points(env, a),
        ChaosCommand::Lyapunov(a) => lyapunov(env, a),
        ChaosCommand::Autocorrelation(a) => autocorrelation(env, a),
        ChaosCommand::FixedPoints(a) => fixed_points(env, a),
        ChaosCommand::Spectrum(a) => spectrum(env, a),
        ChaosCommand::Langevin(a) => langevin(env, a),
    }
}

fn dmft(env: &Env, a: &DmftArgs) -> Result<()> {
    let opts = ScsOptions { nodes: a.nodes, ..ScsOptions::default() };
    let text = a.json.prints_text(env);
    if text {
        println!("SCS dynamical mean-field theory, φ = tanh, σ = {}", a.sigma);
        println!("{:>8} {:>12} {:>10} {:>10} {:>8} {:>8}", "g", "c0 = ⟨x²⟩", "⟨φ²⟩", "λ_max", "κ", "τ½");
    }
    let mut rows = Vec::new();
    for &g in &a.g {
        let s = chaos::solve_scs(g, a.sigma, &opts)?;
        if text {
            let half = s.tau_half.map_or("–".to_string(), |t| format!("{t:.3}"));
            println!("{g:>8} {:>12.6} {:>10.6} {:>10.6} {:>8.4} {half:>8}", s.c0, s.phi2, s.lambda_max, s.kappa);
        }
        rows.push(json!({"g": g, "sigma": a.sigma, "c0": s.c0, "phi2": s.phi2, "lambda_max": s.lambda_max,
                         "kappa": s.kappa, "tau_half": s.tau_half}));
    }
    let mut out = json!({"meta": metadata(env), "sigma": a.sigma, "results": rows});
    if a.sigma > 0.0 {
        let (chaotic, expansive) = chaos::noise_transitions(a.sigma, a.nodes)?;
        if text {
            println!(
                "transition to chaos (λ = 0): g = {chaotic:.3}; locally expansive (g²⟨φ'²⟩ = 1): g = {expansive:.3}"
            );
        }
        out["critical_gain"] = json!(chaotic);
        out["expansive_gain"] = json!(expansive);
    }
    a.json.emit(&out, false)
}

fn static_fixed_points(env: &Env, a: &StaticArgs) -> Result<()> {
    let opts = StaticOptions { nodes: a.nodes, response: a.response.parse()?, ..StaticOptions::default() };
    let g_c = chaos::critical_gain(a.gamma);
    let text = a.json.prints_text(env);
    if text {
        println!("static DMFT of the fixed points, γ = {}, g_c = {g_c:.6}", a.gamma);
        println!("{:>8} {:>10} {:>10} {:>10} {:>10}", "g", "C", "R_int", "R_ell", "converged");
    }
    let mut rows = Vec::new();
    for &g in &a.g {
        let s = chaos::solve_static(g, a.gamma, &opts)?;
        let r_ell = (g < g_c).then(|| chaos::resolvent(g, a.gamma));
        if text {
            let ell = r_ell.map_or("–".to_string(), |v| format!("{v:.6}"));
            println!("{g:>8} {:>10.6} {:>10.6} {ell:>10} {:>10}", s.c, s.r, s.converged);
        }
        rows.push(json!({"g": g, "gamma": a.gamma, "c": s.c, "r_int": s.r, "r_ell": r_ell,
                         "converged": s.converged, "iterations": s.iterations}));
    }
    a.json.emit(&json!({"meta": metadata(env), "gamma": a.gamma, "critical_gain": g_c, "results": rows}), false)
}

/// The theory's λ_max: g(1+γ) − 1 in the ordered phase, the SCS value for γ = 0.
/// The theory's λ_max: g(1+γ) − 1 in the noiseless ordered phase, the SCS DMFT for γ = 0 (with
/// noise σ), none otherwise.
fn theory_exponent(g: f64, gamma: f64, sigma: f64) -> Result<Option<f64>> {
    if sigma == 0.0 {
        if let Some(lambda) = chaos::ordered_exponent(g, gamma) {
            return Ok(Some(lambda));
        }
    }
    if gamma == 0.0 {
        return Ok(Some(chaos::solve_scs(g, sigma, &ScsOptions::default())?.lambda_max));
    }
    Ok(None)
}

fn convention(a: &LyapunovArgs) -> String {
    if a.sigma > 0.0 {
        format!("SDE (Euler–Maruyama dt = {}, σ = {}), exponent conditional on the noise", a.dt, a.sigma)
    } else {
        format!("ODE (RK4 dt = {}), tangent vector renormalised every step", a.dt)
    }
}

fn lyapunov(env: &Env, a: &LyapunovArgs) -> Result<()> {
    let opts = LyapunovOptions { dt: a.dt, transient: a.transient, time: a.time, sigma: a.sigma };
    let mut rows = Vec::new();
    if a.json.prints_text(env) {
        println!(
            "largest Lyapunov exponent ({}), N = {}, γ = {}, {} networks, transient {}, time {}",
            convention(a),
            a.n,
            a.gamma,
            a.networks,
            a.transient,
            a.time
        );
        println!("{:>8} {:>18} {:>18} {:>10} {:>10}", "g", "λ (mean ± s.e.)", "twin", "⟨x²⟩", "theory");
    }
    for &g in &a.g {
        let runs = chaos::exponents(a.n, g, a.gamma, a.networks, env.seed, &opts, a.twin, &env.stop)?;
        let done: Vec<_> = runs.into_iter().flatten().collect();
        if env.stop.is_raised() {
            anyhow::bail!("interrupted after {} networks at g = {g}", done.len());
        }
        let (m, se) = mean_se(&done.iter().map(|r| r.lambda).collect::<Vec<_>>());
        let twins: Vec<f64> = done.iter().filter_map(|r| r.twin).collect();
        let (tm, tse) = mean_se(&twins);
        let (x2, _) = mean_se(&done.iter().map(|r| r.mean_square).collect::<Vec<_>>());
        let theory = theory_exponent(g, a.gamma, a.sigma)?;
        if a.json.prints_text(env) {
            let twin = if a.twin { format!("{tm:.4} ± {tse:.4}") } else { "–".into() };
            let th = theory.map_or("–".to_string(), |t| format!("{t:.4}"));
            println!("{g:>8} {:>18} {twin:>18} {x2:>10.4} {th:>10}", format!("{m:.4} ± {se:.4}"));
        }
        let per: Vec<_> = done
            .iter()
            .map(|r| json!({"network": r.network, "lambda": r.lambda, "twin": r.twin, "mean_square": r.mean_square}))
            .collect();
        rows.push(json!({"g": g, "lambda_mean": m, "lambda_se": se, "twin_mean": a.twin.then_some(tm),
                         "mean_square": x2, "theory": theory, "networks": per}));
    }
    let out = json!({"meta": metadata(env), "convention": convention(a),
                     "n": a.n, "gamma": a.gamma, "sigma": a.sigma, "dt": a.dt, "transient": a.transient, "time": a.time,
                     "results": rows});
    a.json.emit(&out, false)
}

fn spectrum(env: &Env, a: &SpectrumArgs) -> Result<()> {
    let k = match a.k.as_str() {
        "all" => 0,
        other => match other.parse::<usize>() {
            Ok(0) | Err(_) => {
                return Err(
                    ebdm::Error::param("k", format!("must be `all` or a count of at least 1, got `{other}`")).into()
                )
            }
            Ok(k) => k,
        },
    };
    let opts = SpectrumOptions {
        k,
        convention: a.mode.parse()?,
        dt: a.dt,
        transient: a.transient,
        ons_warmup: a.ons_warmup,
        time: a.time,
        ons_interval: a.t_ons,
        pca: !a.no_pca,
        bootstrap: a.bootstrap,
    };
    let runs = chaos::spectra(a.n, a.g, a.gamma, a.networks, env.seed, &opts, &env.stop)?;
    let done: Vec<(usize, Spectrum)> = runs
        .into_iter()
        .enumerate()
        .filter_map(|(s, r)| r.filter(|r| !r.exponents.is_empty()).map(|r| (s, r)))
        .collect();
    let n = a.n as f64;
    if a.json.prints_text(env) {
        println!(
            "Lyapunov spectrum ({}, dt = {}, t_ONS = {}), N = {}, g = {}, γ = {}, transient {} + {}, time {}",
            opts.convention, a.dt, a.t_ons, a.n, a.g, a.gamma, a.transient, a.ons_warmup, a.time
        );
        println!(
            "{:>7} {:>9} {:>19} {:>9} {:>6} {:>8} {:>8} {:>8} {:>8}",
            "network", "λ_1", "95 % interval", "λ_k", "# > 0", "D_KY/N", "h_KS/N", "PCA/N", "⟨x²⟩"
        );
        for (s, r) in &done {
            let ci = r.ci95_first.map_or("–".to_string(), |[lo, hi]| format!("[{lo:.4}, {hi:.4}]"));
            let frac = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{:.4}", v / n));
            println!(
                "{s:>7} {:>9.4} {ci:>19} {:>9.4} {:>6} {:>8} {:>8.5} {:>8} {:>8.4}{}",
                r.exponents[0],
                r.exponents[r.exponents.len() - 1],
                r.exponents.iter().filter(|&&l| l > 0.0).count(),
                frac(r.kaplan_yorke),
                r.entropy / n,
                frac(r.pca_dimension),
                r.mean_square,
                if r.interrupted { "  (interrupted)" } else { "" }
            );
        }
    }
    let stat = |f: &dyn Fn(&Spectrum) -> Option<f64>| {
        let v: Vec<f64> = done.iter().filter_map(|(_, r)| f(r)).collect();
        let (m, se) = mean_se(&v);
        json!({"mean": m, "se": se, "count": v.len()})
    };
    let summary = json!({
        "lambda_1": stat(&|r| Some(r.exponents[0])),
        "mean_exponent": stat(&|r| Some(r.exponents.iter().sum::<f64>() / r.exponents.len() as f64)),
        "kaplan_yorke_per_n": stat(&|r| r.kaplan_yorke.map(|d| d / n)),
        "entropy_per_n": stat(&|r| Some(r.entropy / n)),
        "pca_dimension_per_n": stat(&|r| r.pca_dimension.map(|d| d / n)),
    });
    let per: Vec<_> = done.iter().map(|(s, r)| json!({"network": s, "spectrum": r})).collect();
    let out = json!({"meta": metadata(env), "mode": opts.convention, "n": a.n, "g": a.g, "gamma": a.gamma,
                     "options": opts, "summary": summary, "networks": per});
    a.json.emit(&out, false)?;
    if env.stop.is_raised() {
        anyhow::bail!(
            "interrupted: {} of {} networks measured (partial spectra kept in the output)",
            done.len(),
            a.networks
        );
    }
    Ok(())
}

fn langevin(env: &Env, a: &LangevinArgs) -> Result<()> {
    let opts = LangevinOptions {
        beta: a.beta,
        dt: a.dt,
        time: a.time,
        anneal: a.anneal,
        beta_start: a.beta_start,
        window: a.window,
    };
    let setup =
        NetworkLangevin { n: a.n, g: a.g, gamma: a.gamma, eta: a.eta, chains: a.chains, init_scale: a.init_scale };
    if a.networks == 0 {
        return Err(ebdm::Error::param("networks", "must be at least 1").into());
    }
    let runs =
        ebdm::engine::replicas::run_indexed(a.networks, &env.stop, |s| setup.run(s, env.seed, &opts, &env.stop))?;
    let text = a.json.prints_text(env);
    if text {
        println!(
            "Langevin on the quasi-potential, N = {}, g = {}, γ = {}, η = {}, β = {} (annealed from {} over {}), dt = {}, \
             time {}, averages over the last {}",
            a.n, a.g, a.gamma, a.eta, a.beta, a.beta_start, a.anneal, a.dt, a.time, a.window
        );
        println!("{:>7} {:>5} {:>12} {:>12} {:>10} {:>10}", "network", "chain", "E/N", "1/(2β)", "⟨x²⟩", "⟨φ²⟩");
    }
    let mut rows = Vec::new();
    for (s, r) in runs.iter().enumerate() {
        let Some(r) = r else { continue };
        if text {
            for (c, ch) in r.chains.iter().enumerate() {
                println!(
                    "{s:>7} {c:>5} {:>12.4e} {:>12.4e} {:>10.4} {:>10.4}",
                    ch.energy,
                    0.5 / a.beta,
                    ch.mean_square,
                    ch.phi2
                );
            }
        }
        rows.push(json!({"network": s, "chains": r.chains, "time": r.time, "interrupted": r.interrupted,
                         "trace": r.trace}));
    }
    let out = json!({"meta": metadata(env), "setup": setup, "options": opts, "equipartition": 0.5 / a.beta,
                     "networks": rows});
    a.json.emit(&out, false)?;
    if env.stop.is_raised() {
        anyhow::bail!("interrupted: the chains' averages so far are in the output");
    }
    Ok(())
}

fn autocorrelation(env: &Env, a: &AutocorrelationArgs) -> Result<()> {
    let opts = CorrelationOptions {
        run: LyapunovOptions { dt: a.dt, transient: a.transient, time: a.time, sigma: a.sigma },
        lag_max: a.lag_max,
        lag_step: a.lag_step,
    };
    let runs = chaos::network_autocorrelations(a.n, a.g, a.gamma, a.networks, env.seed, &opts, &env.stop)?;
    let theory = if a.gamma == 0.0 && (a.g > 1.0 || a.sigma > 0.0) {
        Some(chaos::solve_scs(a.g, a.sigma, &ScsOptions::default())?)
    } else {
        None
    };
    let taus = [1.0, 2.0, 5.0];
    let text = a.json.prints_text(env);
    if text {
        println!(
            "Autocorrelation, N = {}, g = {}, γ = {}, σ = {}, dt = {}, transient {}, time {}",
            a.n, a.g, a.gamma, a.sigma, a.dt, a.transient, a.time
        );
        println!(
            "{:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}",
            "network", "⟨x²⟩", "⟨φ²⟩", "c(1)/c0", "c(2)/c0", "c(5)/c0", "τ½"
        );
    }
    let fmt = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.4}"));
    let mut rows = Vec::new();
    for (s, r) in runs.iter().enumerate() {
        let Some(r) = r else { continue };
        if r.interrupted && r.time == 0.0 {
            continue;
        }
        if text {
            let at = taus.map(|t| fmt(r.normalised_at(t)));
            println!(
                "{s:>7} {:>9.4} {:>9.4} {:>9} {:>9} {:>9} {:>8}{}",
                r.c0(),
                r.phi2,
                at[0],
                at[1],
                at[2],
                fmt(r.half_time()),
                if r.interrupted { "  (interrupted)" } else { "" }
            );
        }
        rows.push(json!({"network": s, "c0": r.c0(), "phi2": r.phi2, "tau_half": r.half_time(),
                         "lags": r.lags, "c": r.c, "time": r.time, "interrupted": r.interrupted}));
    }
    let dmft = theory.as_ref().map(|t| {
        let at = taus.map(|tau| t.autocorrelation(tau) / t.c0);
        if text {
            println!(
                "{:>7} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>8}",
                "DMFT",
                t.c0,
                t.phi2,
                at[0],
                at[1],
                at[2],
                fmt(t.tau_half)
            );
        }
        json!({"c0": t.c0, "phi2": t.phi2, "tau_half": t.tau_half, "normalised_at_1_2_5": at})
    });
    let out = json!({"meta": metadata(env), "n": a.n, "g": a.g, "gamma": a.gamma, "sigma": a.sigma,
                     "dt": a.dt, "transient": a.transient, "time": a.time, "networks": rows, "dmft": dmft});
    a.json.emit(&out, false)?;
    if env.stop.is_raised() {
        anyhow::bail!("interrupted: the correlations measured so far are in the output");
    }
    Ok(())
}

fn fixed_points(env: &Env, a: &FixedPointArgs) -> Result<()> {
    let from = match a.from.as_str() {
        "trajectory" => Starts::Trajectory { transient: a.transient, spacing: a.spacing },
        "random" => Starts::Random { scale: a.scale },
        other => {
            return Err(
                ebdm::Error::param("from", format!("unknown start `{other}` (expected trajectory or random)")).into()
            )
        }
    };
    if a.networks == 0 {
        return Err(ebdm::Error::param("networks", "must be at least 1").into());
    }
    let setup = NetworkFixedPoints { n: a.n, g: a.g, gamma: a.gamma, starts: a.starts, from };
    let opts = FixedPointOptions { tol: a.tol, ..FixedPointOptions::default() };
    let text = a.json.prints_text(env);
    if text {
        println!(
            "Fixed and slow points (minima of E = ½|F|²), N = {}, g = {}, γ = {}, {} starts per network ({})",
            a.n, a.g, a.gamma, a.starts, a.from
        );
        println!(
            "{:>7} {:>5} {:>12} {:>9} {:>9} {:>10} {:>9} {:>5}",
            "network", "kind", "E/N", "⟨x²⟩", "⟨φ²⟩", "max Re λ", "unstable", "hits"
        );
    }
    let mut rows = Vec::new();
    for s in 0..a.networks {
        if env.stop.is_raised() {
            break;
        }
        let r = setup.run(s, env.seed, &opts, &env.stop)?;
        if text {
            for p in &r.points {
                println!(
                    "{s:>7} {:>5} {:>12.3e} {:>9.4} {:>9.4} {:>10.4} {:>9} {:>5}",
                    p.kind.name(),
                    p.energy,
                    p.mean_square,
                    p.phi2,
                    p.max_real,
                    p.unstable,
                    p.hits
                );
            }
            if r.unresolved > 0 {
                println!("{s:>7} {} of {} starts reached neither a root nor a minimum", r.unresolved, r.starts);
            }
        }
        let points: Vec<_> = r
            .points
            .iter()
            .map(|p| {
                let mut v = serde_json::to_value(p).unwrap_or_default();
                if !a.coordinates {
                    if let Some(o) = v.as_object_mut() {
                        o.remove("x");
                    }
                }
                v
            })
            .collect();
        rows.push(json!({"network": s, "fixed": r.count(PointKind::Fixed), "slow": r.count(PointKind::Slow),
                         "unresolved": r.unresolved, "starts": r.starts, "interrupted": r.interrupted,
                         "points": points}));
    }
    let out = json!({"meta": metadata(env), "setup": setup, "options": opts, "networks": rows});
    a.json.emit(&out, false)?;
    if env.stop.is_raised() {
        anyhow::bail!("interrupted: the points found so far are in the output");
    }
    Ok(())
}
