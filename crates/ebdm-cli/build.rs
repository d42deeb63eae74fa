//! Records the git commit in the binary for output metadata.
fn main() {
    if let Ok(out) = std::process::Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output() {
        if out.status.success() {
            let commit = String::from_utf8_lossy(&out.stdout).trim().to_string();
            println!("cargo:rustc-env=EBDM_GIT_COMMIT={commit}");
        }
    }
    println!("cargo:rerun-if-changed=../../.git/HEAD");
}
