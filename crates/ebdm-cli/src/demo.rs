//! `ebdm demo`: store MNIST digits in Hopfield networks, retrieve them from corrupted cues,
//! draw cue → retrieved, and draw a capacity curve for random patterns.

use std::path::Path;

use anyhow::{Context, Result};
use ebdm::engine::rng::stream;
use ebdm::memory::experiments::capacity::CapacityConfig;
use ebdm::memory::experiments::registry::capacity_outcome;
use ebdm::memory::{metrics, Hopfield, LearningRule, RetrieveParams};

use crate::memory::{corrupted_cues, mnist_digits};
use crate::output::{out_dir, Env};
use crate::{experiments, plot};

pub fn run(env: &Env, data: &Path, out: &Path, rho: f64) -> Result<()> {
    let dir = out_dir(out)?;
    let (p, width) = mnist_digits(data, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 127)
        .with_context(|| format!("loading MNIST digits from {} (use --data DIR)", data.display()))?;
    let cues: Vec<Vec<i8>> = corrupted_cues(&p, rho, env.seed)?.rows().map(<[i8]>::to_vec).collect();
    let mut rows =
        vec![("stored".to_string(), p.rows().map(|r| r.to_vec()).collect()), (format!("cue ρ={rho}"), cues.clone())];
    println!("MNIST digits 0–9 (N = {}), cues with {:.0} % of pixels flipped", p.len(), 100.0 * rho);
    for (name, rule) in [("Hebb", LearningRule::Hebb), ("pseudo-inverse", LearningRule::PseudoInverse)] {
        let net = Hopfield::train(&p, rule)?;
        let mut states = Vec::new();
        let mut overlaps = Vec::new();
        for (mu, cue) in cues.iter().enumerate() {
            let mut rng = stream(env.seed, 1000 + mu as u64);
            let r = net.retrieve(cue, &RetrieveParams::default(), &mut rng)?;
            overlaps.push(metrics::overlap(p.row(mu), &r.state)?);
            states.push(r.state);
        }
        let exact = overlaps.iter().filter(|&&m| m == 1.0).count();
        let mean = overlaps.iter().sum::<f64>() / overlaps.len() as f64;
        println!("  {name:<15} exact recall {exact:>2}/10, mean overlap with the stored digit {mean:.3}");
        rows.push((name.to_string(), states));
    }
    let grid = dir.join("digits_cue_to_retrieved.png");
    plot::image_grid(&grid, &rows, width, p.len() / width)?;
    println!("  picture: {}", grid.display());
    println!("  (digits are correlated patterns: the Hebb rule mixes them, the projection rule keeps them apart)");
    println!();
    experiments::run_and_render(
        env,
        &dir.join("capacity"),
        "capacity curve of random patterns (quick E1; `ebdm reproduce memory/E1` for the full sizes)",
        |ctx| capacity_outcome(ctx, &CapacityConfig::e1_quick()),
    )?;
    Ok(())
}
