//! The stationary autocorrelation of a simulated random network,
//!
//!   c(τ) = (1/N) Σ_i ⟨x_i(t) x_i(t + τ)⟩_t,
//!
//! the quantity the SCS mean-field theory predicts (spec §1.7), together with ⟨φ²⟩ and the
//! half-decay time τ½ (c(τ½) = c0/2). The state is integrated by RK4 (or Euler–Maruyama with
//! noise) and sampled every `lag_step`; the last `lag_max/lag_step + 1` samples are kept in a
//! ring, so memory is N × lags and nothing else of the trajectory is stored.

use serde::Serialize;

use super::network::{check_networks, check_start, seeded_network, LyapunovOptions, RandomNetwork, StateOnly, Stepper};
use crate::engine::rng::{stream_path, Rng64};
use crate::engine::run::StopFlag;
use crate::error::{Error, Result};
use crate::size::{bytes, check_memory};

/// Settings: the run (dt, transient, measuring time, noise σ) and the lags measured.
#[derive(Clone, Debug)]
pub struct CorrelationOptions {
    pub run: LyapunovOptions,
    /// Largest lag τ.
    pub lag_max: f64,
    /// Spacing of the lags (a whole number of steps).
    pub lag_step: f64,
}

impl Default for CorrelationOptions {
    fn default() -> Self {
        Self { run: LyapunovOptions::default(), lag_max: 20.0, lag_step: 0.1 }
    }
}

impl CorrelationOptions {
    /// Steps per sample and the number of lags after 0.
    fn check(&self) -> Result<(usize, usize)> {
        let (_, steps) = self.run.check()?;
        if !(self.lag_step.is_finite() && self.lag_step > 0.0) {
            return Err(Error::param("lag_step", format!("must be finite and > 0, got {}", self.lag_step)));
        }
        if !(self.lag_max.is_finite() && self.lag_max >= 0.0) {
            return Err(Error::param("lag_max", format!("must be finite and ≥ 0, got {}", self.lag_max)));
        }
        let every = ((self.lag_step / self.run.dt).round() as usize).max(1);
        let lags = (self.lag_max / (every as f64 * self.run.dt)).round() as usize;
        if lags * every >= steps {
            return Err(Error::param("lag_max", format!("{} is not shorter than the measuring time", self.lag_max)));
        }
        Ok((every, lags))
    }
}

/// A measured autocorrelation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Autocorrelation {
    /// The lags τ_k = k · (sample spacing), k = 0…K.
    pub lags: Vec<f64>,
    /// c(τ_k); c[0] = ⟨x²⟩ over the samples.
    pub c: Vec<f64>,
    /// ⟨tanh²(x)⟩ over units and samples.
    pub phi2: f64,
    /// Time actually measured (shorter when stopped).
    pub time: f64,
    pub interrupted: bool,
}

impl Autocorrelation {
    /// ⟨x²⟩ = c(0).
    pub fn c0(&self) -> f64 {
        self.c[0]
    }

    /// c(τ)/c0 by linear interpolation between lags (`None` beyond the largest lag).
    pub fn normalised_at(&self, tau: f64) -> Option<f64> {
        interpolate(&self.lags, &self.c, tau).map(|c| c / self.c[0])
    }

    /// The first τ with c(τ) = c0/2, by linear interpolation (`None` if c stays above).
    pub fn half_time(&self) -> Option<f64> {
        let half = 0.5 * self.c[0];
        self.c.windows(2).zip(self.lags.windows(2)).find(|(c, _)| c[1] <= half).map(|(c, t)| {
            let f = (c[0] - half) / (c[0] - c[1]);
            t[0] + f * (t[1] - t[0])
        })
    }
}

fn interpolate(xs: &[f64], ys: &[f64], x: f64) -> Option<f64> {
    let step = xs.get(1)? - xs[0];
    let k = (x - xs[0]) / step;
    if k < 0.0 || k > (xs.len() - 1) as f64 + 1e-9 {
        return None;
    }
    let i = (k.floor() as usize).min(xs.len() - 2);
    let f = k - i as f64;
    Some(ys[i] + f * (ys[i + 1] - ys[i]))
}

/// c(τ) of one network from `x0`, after the transient; noise (when `opts.run.sigma > 0`) is
/// drawn from `rng`.
pub fn autocorrelation(
    net: &RandomNetwork,
    x0: &[f64],
    opts: &CorrelationOptions,
    rng: &mut Rng64,
    stop: &StopFlag,
) -> Result<Autocorrelation> {
    check_start(net, x0)?;
    let (every, lags) = opts.check()?;
    let (transient, steps) = opts.run.check()?;
    let n = net.n();
    check_memory("lag_max", format!("{} lags of {n} units", lags + 1), bytes(&[lags + 1, n], 8))?;
    let sys = StateOnly::new(net);
    let mut stepper = Stepper::default();
    let mut x = x0.to_vec();
    let mut t = 0.0;
    for _ in 0..transient {
        if stop.is_raised() {
            return Ok(Autocorrelation {
                lags: vec![0.0],
                c: vec![f64::NAN],
                phi2: f64::NAN,
                time: 0.0,
                interrupted: true,
            });
        }
        stepper.advance(&sys, t, &mut x, &opts.run, n, rng)?;
        t += opts.run.dt;
    }
    // ring[slot] holds sample number `slot mod (lags + 1)`; sample m pairs with m − k, k ≤ lags.
    let mut ring = vec![0.0; (lags + 1) * n];
    let (mut sums, mut counts) = (vec![0.0; lags + 1], vec![0usize; lags + 1]);
    let (mut phi2, mut samples, mut done) = (0.0, 0usize, 0usize);
    let mut record = |x: &[f64], ring: &mut [f64], m: usize| {
        let slot = m % (lags + 1);
        ring[slot * n..(slot + 1) * n].copy_from_slice(x);
        for k in 0..=lags.min(m) {
            let other = (m - k) % (lags + 1);
            let past = &ring[other * n..(other + 1) * n];
            sums[k] += x.iter().zip(past).map(|(a, b)| a * b).sum::<f64>() / n as f64;
            counts[k] += 1;
        }
        phi2 += x.iter().map(|v| v.tanh().powi(2)).sum::<f64>() / n as f64;
    };
    record(&x, &mut ring, 0);
    samples += 1;
    for k in 1..=steps {
        if stop.is_raised() {
            break;
        }
        stepper.advance(&sys, t, &mut x, &opts.run, n, rng)?;
        t += opts.run.dt;
        done = k;
        if k % every == 0 {
            record(&x, &mut ring, samples);
            samples += 1;
        }
    }
    let spacing = every as f64 * opts.run.dt;
    let measured = counts.iter().take_while(|&&c| c > 0).count();
    Ok(Autocorrelation {
        lags: (0..measured).map(|k| k as f64 * spacing).collect(),
        c: sums.iter().zip(&counts).take(measured).map(|(s, &c)| s / c as f64).collect(),
        phi2: phi2 / samples as f64,
        time: done as f64 * opts.run.dt,
        interrupted: done < steps,
    })
}

/// c(τ) of `networks` independent networks of `n` units in parallel. Network `s` takes its
/// couplings and initial state (standard normal) from the same streams as
/// [`super::network::exponents`] (so it is the network whose λ_max that function measures) and
/// its noise from `[CHAOS_TANGENT, s]`; the results do not depend on the thread count.
/// Networks not started when `stop` is raised are `None`.
#[allow(clippy::too_many_arguments)]
pub fn network_autocorrelations(
    n: usize,
    g: f64,
    gamma: f64,
    networks: usize,
    seed: u64,
    opts: &CorrelationOptions,
    stop: &StopFlag,
) -> Result<Vec<Option<Autocorrelation>>> {
    use crate::experiment::streams::CHAOS_TANGENT;
    opts.check()?;
    check_networks(n, g, gamma, networks)?;
    crate::engine::replicas::run_indexed(networks, stop, |s| {
        let (net, x0) = seeded_network(n, g, gamma, seed, s)?;
        autocorrelation(&net, &x0, opts, &mut stream_path(seed, &[CHAOS_TANGENT, s as u64]), stop)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;
    use rand::Rng;
    use rand_distr::StandardNormal;

    #[test]
    fn the_ring_gives_the_lag_products_of_the_stored_trajectory() {
        // A small chaotic network: c(τ) against the brute-force average over a stored
        // trajectory of the same run.
        let net = RandomNetwork::elliptic(30, 2.0, 0.0, &mut stream(3, 0)).unwrap();
        let mut rng = stream(3, 1);
        let x0: Vec<f64> = (0..30).map(|_| rng.sample::<f64, _>(StandardNormal)).collect();
        let run = LyapunovOptions { dt: 0.05, transient: 10.0, time: 20.0, sigma: 0.0 };
        let opts = CorrelationOptions { run: run.clone(), lag_max: 2.0, lag_step: 0.5 };
        let got = autocorrelation(&net, &x0, &opts, &mut stream(0, 0), &StopFlag::new()).unwrap();
        // Stored trajectory, sampled every 10 steps after the transient.
        let sys = StateOnly::new(&net);
        let mut stepper = Stepper::default();
        let mut x = x0.clone();
        for _ in 0..200 {
            stepper.advance(&sys, 0.0, &mut x, &run, 30, &mut stream(0, 0)).unwrap();
        }
        let mut samples = vec![x.clone()];
        for k in 1..=400 {
            stepper.advance(&sys, 0.0, &mut x, &run, 30, &mut stream(0, 0)).unwrap();
            if k % 10 == 0 {
                samples.push(x.clone());
            }
        }
        assert_eq!(got.lags, [0.0, 0.5, 1.0, 1.5, 2.0]);
        for lag in 0..5 {
            let pairs: Vec<f64> = (lag..samples.len())
                .map(|m| samples[m].iter().zip(&samples[m - lag]).map(|(a, b)| a * b).sum::<f64>() / 30.0)
                .collect();
            let want = pairs.iter().sum::<f64>() / pairs.len() as f64;
            assert!((got.c[lag] - want).abs() < 1e-12 * want.abs().max(1.0), "lag {lag}: {} vs {want}", got.c[lag]);
        }
        let phi2 = samples.iter().map(|s| s.iter().map(|v| v.tanh().powi(2)).sum::<f64>() / 30.0).sum::<f64>()
            / samples.len() as f64;
        assert!((got.phi2 - phi2).abs() < 1e-12);
    }

    #[test]
    fn half_time_and_interpolation() {
        let a = Autocorrelation {
            lags: vec![0.0, 1.0, 2.0, 3.0],
            c: vec![2.0, 1.5, 0.8, 0.2],
            phi2: 0.0,
            time: 1.0,
            interrupted: false,
        };
        assert!((a.half_time().unwrap() - (1.0 + 0.5 / 0.7)).abs() < 1e-12);
        assert!((a.normalised_at(1.5).unwrap() - 1.15 / 2.0).abs() < 1e-12);
        assert_eq!(a.normalised_at(3.5), None);
    }

    #[test]
    fn bad_settings_are_named() {
        let net = RandomNetwork::elliptic(10, 1.0, 0.0, &mut stream(1, 0)).unwrap();
        let x0 = vec![0.1; 10];
        let stop = StopFlag::new();
        let mut rng = stream(0, 0);
        let run = LyapunovOptions { dt: 0.05, transient: 1.0, time: 5.0, sigma: 0.0 };
        for (opts, name) in [
            (CorrelationOptions { run: run.clone(), lag_max: 5.0, lag_step: 0.1 }, "`lag_max`"),
            (CorrelationOptions { run: run.clone(), lag_max: 1.0, lag_step: 0.0 }, "`lag_step`"),
            (CorrelationOptions { run: LyapunovOptions { dt: -1.0, ..run }, lag_max: 1.0, lag_step: 0.1 }, "`dt`"),
        ] {
            let e = autocorrelation(&net, &x0, &opts, &mut rng, &stop).unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
    }
}
