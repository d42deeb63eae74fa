//! Helpers for mixing faer's wide-vector kernels with scalar maths from the C library.

/// Clears the upper halves of the vector registers after a faer matrix product.
///
/// faer's kernels use 256- and 512-bit instructions and can return with dirty upper register
/// state. Transcendental functions of the C library (`exp`, `tanh`, `pow`, …) are partly
/// compiled to legacy SSE encodings, and on many x86 processors each SSE instruction executed
/// with dirty upper state pays a transition penalty. Measured on an AVX-512 Xeon: the softmax
/// after a 64×256×1024 product ran about 20× slower, and the tanh/exp work of a Lagrangian
/// network about 4× slower, until the state was cleared (`vzeroupper`).
#[inline]
pub fn clear_upper_registers() {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the instruction is available (checked above) and only clears register state.
        unsafe { std::arch::x86_64::_mm256_zeroupper() }
    }
}
