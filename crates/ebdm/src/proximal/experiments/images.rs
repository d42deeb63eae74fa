//! MNIST reconstruction: A11 (batched sparse coding of patches), A12 (inpainting).

use super::*;

/// A11: batched sparse coding of 2000 MNIST patches with 128 random unit-norm atoms, α = 0.1:
/// FISTA and LCA (300 iterations) against a coordinate-descent reference at gap 1e-12.
pub fn a11(images: &Images, seed: u64, stop: &crate::engine::run::StopFlag) -> Result<Outcome> {
    let mut rng = stream_path(seed, &[ids::PATCHES]);
    let m = 2000;
    let x = mnist_patches(images, m, &mut rng)?;
    let dict = Dictionary::new(128, 64, random_dictionary(128, 64, seed)?)?;
    let alpha = 0.1;
    let base = CodingOptions { stop: stop.clone(), ..CodingOptions::default() };
    let reference = encode(
        &dict,
        &x,
        m,
        alpha,
        &CodingOptions { solver: CodingSolver::Cd, limits: RunLimits::steps(100_000).with_tol(1e-12), ..base.clone() },
    )?;
    let fista = encode(
        &dict,
        &x,
        m,
        alpha,
        &CodingOptions {
            solver: CodingSolver::Fista,
            limits: RunLimits::steps(300),
            precision: crate::engine::precision::Precision::F64,
            ..base.clone()
        },
    )?;
    let lca = encode(
        &dict,
        &x,
        m,
        alpha,
        &CodingOptions { solver: CodingSolver::Lca, limits: RunLimits::steps(300), h: 1.0, ..base },
    )?;
    let worst = |c: &Codes| {
        c.objectives.iter().zip(&reference.objectives).map(|(a, b)| (a - b) / b).fold(f64::NEG_INFINITY, f64::max)
    };
    let (wf, wl) = (worst(&fista), worst(&lca));
    let ref_gap = reference.gaps.iter().zip(&reference.objectives).map(|(g, p)| g / p).fold(0.0, f64::max);
    let mean_res = reference.residuals.iter().sum::<f64>() / m as f64;
    Ok(Outcome {
        checks: vec![
            Check::new("reference (CD): largest relative gap", "≤ 1e-12", format!("{ref_gap:.1e}"), ref_gap <= 1e-12),
            Check::new(
                "batched FISTA, 300 iterations: worst (P − P_ref)/P_ref",
                "≤ 1e-5",
                format!("{wf:.2e}"),
                wf <= 1e-5,
            ),
            Check::new(
                "batched LCA (h = 1), 300 steps: worst (P − P_ref)/P_ref",
                "≤ 2e-2",
                format!("{wl:.2e}"),
                wl <= 2e-2,
            ),
            Check::new(
                "mean nnz, mean ‖x − cD‖ (reference codes)",
                "reported",
                format!("{:.2}, {mean_res:.3}", reference.mean_nnz()),
                true,
            ),
        ],
        interrupted: reference.interrupted || fista.interrupted || lca.interrupted,
        ..Outcome::default()
    })
}

/// A12: inpainting of the first 50 MNIST digits from 50 % of their pixels by ℓ1 on the 2-D DCT
/// (FISTA, L = 1, 500 iterations, λ = 0.005), against zero fill.
pub fn a12(images: &Images, seed: u64) -> Result<Outcome> {
    use rand::Rng;
    let (h, w) = (images.rows, images.cols);
    if h != w {
        return Err(crate::error::Error::Shape(format!("inpainting needs square images, got {h}×{w}")));
    }
    let count = images.count.min(50);
    let mut rng = stream_path(seed, &[ids::INPAINT]);
    let (mut rec_sum, mut zero_sum) = (0.0, 0.0);
    let mut rows: Vec<(String, Vec<Vec<f64>>)> =
        vec![("original".into(), vec![]), ("50 % of pixels".into(), vec![]), ("ℓ1-DCT inpainting".into(), vec![])];
    for i in 0..count {
        let img: Vec<f64> = images.image(i).iter().map(|&p| p as f64 / 255.0).collect();
        let mask: Vec<bool> = (0..h * w).map(|_| rng.random_bool(0.5)).collect();
        let rec = inpaint(&img, &mask, h, 0.005, 500)?;
        let zero: Vec<f64> = img.iter().zip(&mask).map(|(&v, &m)| if m { v } else { 0.0 }).collect();
        rec_sum += psnr(&img, &rec);
        zero_sum += psnr(&img, &zero);
        if i < 10 {
            rows[0].1.push(img);
            rows[1].1.push(zero);
            rows[2].1.push(rec);
        }
    }
    let (rec, zero) = (rec_sum / count as f64, zero_sum / count as f64);
    Ok(Outcome {
        checks: vec![Check::new(
            format!("mean PSNR over {count} digits, inpainted vs zero fill"),
            "≥ zero fill + 4 dB",
            format!("{rec:.2} dB vs {zero:.2} dB (+{:.2})", rec - zero),
            rec >= zero + 4.0,
        )],
        figures: vec![ImageGrid { stem: "inpainting".into(), width: w, height: h, palette: Palette::Grey, rows }.into()],
        ..Outcome::default()
    })
}
