//! Reconstruction tooling: the orthonormal 2-D DCT-II as a matrix-free operator, image
//! inpainting by ℓ1 on DCT coefficients, MNIST patches for sparse coding, and reproducible
//! random dictionaries.

use crate::engine::run::RunLimits;
use rand::Rng;

use super::fixture::SplitMix64;
use super::problem::{Convention, FnOp, LeastSquares};
use super::prox::L1;
use super::solvers::{solve, Method, Options};
use crate::data::idx::Images;
use crate::error::{Error, Result};

/// The orthonormal DCT-II matrix `C` (`n × n`, row-major):
/// `C_kj = s_k cos(π(2j + 1)k / (2n))`, `s_0 = √(1/n)`, `s_k = √(2/n)`; `CᵀC = I`.
pub fn dct_matrix(n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for k in 0..n {
        let s = if k == 0 { (1.0 / n as f64).sqrt() } else { (2.0 / n as f64).sqrt() };
        for j in 0..n {
            c[k * n + j] = s * (std::f64::consts::PI * (2 * j + 1) as f64 * k as f64 / (2 * n) as f64).cos();
        }
    }
    c
}

/// `out = A·X·Bᵀ` for square `n × n` row-major matrices (`transpose_a` uses `Aᵀ`, and
/// `transpose_b` uses `B` in place of `Bᵀ`).
fn sandwich(a: &[f64], x: &[f64], b: &[f64], n: usize, transpose_a: bool, transpose_b: bool, out: &mut [f64]) {
    let mut tmp = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let mut s = 0.0;
            for l in 0..n {
                let aij = if transpose_a { a[l * n + i] } else { a[i * n + l] };
                s += aij * x[l * n + j];
            }
            tmp[i * n + j] = s;
        }
    }
    for i in 0..n {
        for j in 0..n {
            let mut s = 0.0;
            for l in 0..n {
                let bjl = if transpose_b { b[l * n + j] } else { b[j * n + l] };
                s += tmp[i * n + l] * bjl;
            }
            out[i * n + j] = s;
        }
    }
}

/// Forward 2-D DCT `Θ = C X Cᵀ` of an `n × n` image.
pub fn dct2(c: &[f64], image: &[f64], n: usize, out: &mut [f64]) {
    sandwich(c, image, c, n, false, false, out);
}

/// Inverse 2-D DCT `X = Cᵀ Θ C`.
pub fn idct2(c: &[f64], coeffs: &[f64], n: usize, out: &mut [f64]) {
    sandwich(c, coeffs, c, n, true, true, out);
}

/// Peak signal-to-noise ratio `10 log₁₀(1/MSE)` of images with values in `[0, 1]`.
pub fn psnr(a: &[f64], b: &[f64]) -> f64 {
    let mse = a.iter().zip(b).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / a.len() as f64;
    10.0 * (1.0 / mse).log10()
}

/// Inpaints an `n × n` image from the pixels where `mask` is true: FISTA on
/// `½‖M·idct2(θ) − y‖² + λ‖θ‖₁` with the matrix-free operator `M·idct2` (`L = 1`), then the
/// image `idct2(θ)` clipped to `[0, 1]`.
pub fn inpaint(image: &[f64], mask: &[bool], n: usize, lambda: f64, iterations: usize) -> Result<Vec<f64>> {
    if image.len() != n * n || mask.len() != n * n {
        return Err(Error::Shape(format!(
            "an {n}×{n} image needs {} pixels and mask entries, got {} and {}",
            n * n,
            image.len(),
            mask.len()
        )));
    }
    let kept: Vec<usize> = (0..n * n).filter(|&i| mask[i]).collect();
    if kept.is_empty() {
        return Err(Error::param("mask", "keeps no pixel"));
    }
    let c = dct_matrix(n);
    let y: Vec<f64> = kept.iter().map(|&i| image[i]).collect();
    let forward = |theta: &[f64], out: &mut [f64]| {
        let mut x = vec![0.0; n * n];
        idct2(&c, theta, n, &mut x);
        for (o, &i) in out.iter_mut().zip(&kept) {
            *o = x[i];
        }
    };
    let adjoint = |v: &[f64], out: &mut [f64]| {
        let mut x = vec![0.0; n * n];
        for (&val, &i) in v.iter().zip(&kept) {
            x[i] = val;
        }
        dct2(&c, &x, n, out);
    };
    let op = FnOp::new(kept.len(), n * n, forward, adjoint);
    let f = LeastSquares::new(op, y, Convention::Sp)?.with_norm_sq(1.0)?;
    let r = solve(
        &f,
        &L1::new(lambda)?,
        None,
        Method::Fista { restart: false },
        &Options { limits: RunLimits::steps(iterations), ..Options::default() },
    )?;
    let mut x = vec![0.0; n * n];
    idct2(&c, &r.x, n, &mut x);
    Ok(x.into_iter().map(|v| v.clamp(0.0, 1.0)).collect())
}

/// `count` 8×8 patches at random positions of random MNIST images (pixels scaled to `[0, 1]`)
/// whose standard deviation exceeds 0.1, mean-subtracted and scaled to unit norm (spec §4.2).
pub fn mnist_patches(images: &Images, count: usize, rng: &mut impl Rng) -> Result<Vec<f64>> {
    let (h, w) = (images.rows, images.cols);
    if h < 8 || w < 8 || images.count == 0 {
        return Err(Error::Shape(format!("images of {h}×{w} are too small for 8×8 patches")));
    }
    crate::size::check_memory("count", format!("{count} patches of 8×8 pixels"), crate::size::bytes(&[count, 64], 8))?;
    let mut out = Vec::with_capacity(count * 64);
    let mut tries = 0usize;
    while out.len() < count * 64 {
        tries += 1;
        if tries > 1000 * count.max(1) {
            return Err(Error::Numerical("too few patches with standard deviation > 0.1".into()));
        }
        let img = images.image(rng.random_range(0..images.count));
        let (r0, c0) = (rng.random_range(0..=h - 8), rng.random_range(0..=w - 8));
        let mut p: Vec<f64> = (0..64).map(|i| img[(r0 + i / 8) * w + c0 + i % 8] as f64 / 255.0).collect();
        let mean = p.iter().sum::<f64>() / 64.0;
        let var = p.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 64.0;
        if var.sqrt() <= 0.1 {
            continue;
        }
        p.iter_mut().for_each(|v| *v -= mean);
        let norm = p.iter().map(|v| v * v).sum::<f64>().sqrt();
        out.extend(p.iter().map(|v| v / norm));
    }
    Ok(out)
}

/// A reproducible dictionary of `atoms` unit-norm rows of length `dim`, drawn from SplitMix64
/// uniforms `√3(2u − 1)` and normalised.
pub fn random_dictionary(atoms: usize, dim: usize, seed: u64) -> Result<Vec<f64>> {
    crate::size::check_memory(
        "atoms",
        format!("{atoms} atoms of {dim} features"),
        crate::size::bytes(&[atoms, dim], 8),
    )?;
    let mut rng = SplitMix64::new(seed);
    let mut d: Vec<f64> = (0..atoms * dim).map(|_| rng.unit_variance()).collect();
    for row in d.chunks_mut(dim) {
        let n = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        row.iter_mut().for_each(|v| *v /= n);
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_is_orthonormal_and_inverts() {
        let n = 8;
        let c = dct_matrix(n);
        for i in 0..n {
            for j in 0..n {
                let s: f64 = (0..n).map(|k| c[k * n + i] * c[k * n + j]).sum();
                assert!((s - if i == j { 1.0 } else { 0.0 }).abs() < 1e-14);
            }
        }
        let img: Vec<f64> = (0..n * n).map(|i| ((i * 7) % 11) as f64 / 10.0).collect();
        let (mut t, mut back) = (vec![0.0; n * n], vec![0.0; n * n]);
        dct2(&c, &img, n, &mut t);
        idct2(&c, &t, n, &mut back);
        for (a, b) in img.iter().zip(&back) {
            assert!((a - b).abs() < 1e-13);
        }
        // Parseval, and a constant image has only a DC coefficient.
        let e1: f64 = img.iter().map(|v| v * v).sum();
        let e2: f64 = t.iter().map(|v| v * v).sum();
        assert!((e1 - e2).abs() < 1e-12 * e1);
        dct2(&c, &vec![1.0; n * n], n, &mut t);
        assert!((t[0] - n as f64).abs() < 1e-12 && t[1..].iter().all(|v| v.abs() < 1e-12));
    }

    #[test]
    fn inpainting_a_smooth_image_beats_zero_fill() {
        let n = 16;
        let img: Vec<f64> =
            (0..n * n).map(|i| 0.5 + 0.4 * ((i / n) as f64 * 0.3).sin() * ((i % n) as f64 * 0.2).cos()).collect();
        let mask: Vec<bool> = (0..n * n).map(|i| (i * 37 + 11) % 3 != 0).collect();
        let rec = inpaint(&img, &mask, n, 0.002, 300).unwrap();
        let zero: Vec<f64> = img.iter().zip(&mask).map(|(&v, &m)| if m { v } else { 0.0 }).collect();
        assert!(psnr(&img, &rec) > psnr(&img, &zero) + 10.0, "{} vs {}", psnr(&img, &rec), psnr(&img, &zero));
    }
}
