//! PNG and SVG plots: line charts with optional reference lines, phase diagrams, and image grids.
//!
//! Text needs a TrueType font. One is looked up once in `EBDM_FONT` and the usual system
//! locations; without one, charts are skipped with a warning (the data files are still
//! written) and image grids are drawn without labels.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{anyhow, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/Library/Fonts/Arial.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// Registers a font for the "sans-serif" family once; returns whether one is available.
pub fn font_available() -> bool {
    static FONT: OnceLock<bool> = OnceLock::new();
    *FONT.get_or_init(|| {
        let env = std::env::var_os("EBDM_FONT").map(PathBuf::from);
        let candidates = env.into_iter().chain(FONT_CANDIDATES.iter().map(PathBuf::from));
        for path in candidates {
            if let Ok(bytes) = std::fs::read(&path) {
                let leaked: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, leaked).is_ok() {
                    return true;
                }
            }
        }
        false
    })
}

fn no_font() -> anyhow::Error {
    anyhow!("no TrueType font found for plot text: install one (e.g. Debian's fonts-dejavu-core) or set EBDM_FONT=/path/to/font.ttf")
}

pub use ebdm::experiment::{Chart, Series};

fn bounds(chart: &Chart) -> ((f64, f64), (f64, f64)) {
    let pts = chart.series.iter().flat_map(|s| s.points.iter()).filter(|p| p.0.is_finite() && p.1.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in pts {
        if chart.log_y && y <= 0.0 {
            continue;
        }
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    for &(x, _) in &chart.vlines {
        x0 = x0.min(x);
        x1 = x1.max(x);
    }
    if !x0.is_finite() {
        return ((0.0, 1.0), (0.0, 1.0));
    }
    let pad = |a: f64, b: f64| {
        if (b - a).abs() < 1e-12 {
            (a - 0.5, b + 0.5)
        } else {
            (a - 0.04 * (b - a), b + 0.04 * (b - a))
        }
    };
    let y = if chart.log_y { (y0 * 0.8, y1 * 1.25) } else { pad(y0, y1) };
    (pad(x0, x1), y)
}

/// Tick labels of the y axis: powers of ten in scientific notation on a log axis.
fn y_label(v: f64, log: bool) -> String {
    if log {
        format!("{v:.0e}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn draw_chart<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, chart: &Chart) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let ((x0, x1), (y0, y1)) = bounds(chart);
    let mut builder = ChartBuilder::on(&root);
    builder.caption(&chart.title, ("sans-serif", 22)).margin(12).x_label_area_size(42).y_label_area_size(60);
    macro_rules! body {
        ($ctx:expr) => {{
            let mut ctx = $ctx;
            ctx.configure_mesh()
                .x_desc(&chart.x_label)
                .y_desc(&chart.y_label)
                .y_label_formatter(&|v: &f64| y_label(*v, chart.log_y))
                .draw()
                .map_err(|e| anyhow!("{e}"))?;
            for (i, s) in chart.series.iter().enumerate() {
                let color = Palette99::pick(s.color.unwrap_or(i)).to_rgba();
                let pts: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .copied()
                    .filter(|p| p.0.is_finite() && p.1.is_finite() && (!chart.log_y || p.1 > 0.0))
                    .collect();
                if s.markers_only {
                    ctx.draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))
                        .map_err(|e| anyhow!("{e}"))?
                        .label(&s.name)
                        .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
                } else {
                    ctx.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                        .map_err(|e| anyhow!("{e}"))?
                        .label(&s.name)
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
                    ctx.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                        .map_err(|e| anyhow!("{e}"))?;
                }
            }
            for (x, label) in &chart.vlines {
                let (lo, hi) = (y0, y1);
                ctx.draw_series(LineSeries::new(vec![(*x, lo), (*x, hi)], BLACK.mix(0.5).stroke_width(1)))
                    .map_err(|e| anyhow!("{e}"))?
                    .label(label)
                    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.5)));
            }
            ctx.configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(|e| anyhow!("{e}"))?;
        }};
    }
    if chart.log_y {
        body!(builder.build_cartesian_2d(x0..x1, (y0..y1).log_scale()).map_err(|e| anyhow!("{e}"))?);
    } else {
        body!(builder.build_cartesian_2d(x0..x1, y0..y1).map_err(|e| anyhow!("{e}"))?);
    }
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// Writes `stem.png` and `stem.svg`; returns the paths written.
pub fn chart(stem: &Path, chart: &Chart) -> Result<Vec<PathBuf>> {
    if !font_available() {
        return Err(no_font());
    }
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    draw_chart(BitMapBackend::new(&png, (900, 600)).into_drawing_area(), chart)
        .with_context(|| format!("drawing {}", png.display()))?;
    draw_chart(SVGBackend::new(&svg, (900, 600)).into_drawing_area(), chart)
        .with_context(|| format!("drawing {}", svg.display()))?;
    Ok(vec![png, svg])
}

/// A Donoho–Tanner phase diagram: measured points `(δ, ρ, success fraction)` in the unit
/// square, coloured from red (no success) to blue (all successes), under the theoretical curve
/// `ρ(δ)`. Writes `stem.png` and `stem.svg`.
pub fn phase_diagram(
    stem: &Path,
    title: &str,
    points: &[(f64, f64, f64)],
    curve: &[(f64, f64)],
) -> Result<Vec<PathBuf>> {
    if !font_available() {
        return Err(no_font());
    }
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    draw_phase(BitMapBackend::new(&png, (800, 700)).into_drawing_area(), title, points, curve)
        .with_context(|| format!("drawing {}", png.display()))?;
    draw_phase(SVGBackend::new(&svg, (800, 700)).into_drawing_area(), title, points, curve)
        .with_context(|| format!("drawing {}", svg.display()))?;
    Ok(vec![png, svg])
}

/// Red (0) to blue (1) through grey.
fn success_color(f: f64) -> RGBColor {
    let f = f.clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    RGBColor(mix(214.0, 33.0), mix(39.0, 102.0), mix(40.0, 172.0))
}

fn draw_phase<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    points: &[(f64, f64, f64)],
    curve: &[(f64, f64)],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let y_top =
        points.iter().map(|p| p.1).chain(curve.iter().map(|p| p.1)).fold(0.0f64, f64::max).clamp(0.1, 1.0) * 1.05;
    let mut ctx = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, 0.0..y_top)
        .map_err(|e| anyhow!("{e}"))?;
    ctx.configure_mesh()
        .x_desc("δ = n/N")
        .y_desc("ρ = k/n")
        .light_line_style(WHITE)
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    ctx.draw_series(
        points
            .iter()
            .map(|&(d, r, f)| EmptyElement::at((d, r)) + Rectangle::new([(-7, -7), (7, 7)], success_color(f).filled())),
    )
    .map_err(|e| anyhow!("{e}"))?;
    for (f, label) in [(1.0, "all recovered"), (0.5, "half recovered"), (0.0, "none recovered")] {
        ctx.draw_series(std::iter::once(Circle::new((-1.0, -1.0), 0, success_color(f).filled())))
            .map_err(|e| anyhow!("{e}"))?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x + 3, y - 6), (x + 15, y + 6)], success_color(f).filled()));
    }
    ctx.draw_series(LineSeries::new(curve.iter().copied(), BLACK.stroke_width(2)))
        .map_err(|e| anyhow!("{e}"))?
        .label("ρ_SE(δ), theory")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
    ctx.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// A grid of small images: one row per entry `(label, images)`, each image `width × height`
/// pixels coloured by `color`, with the row labels on the left when a font is available.
fn pixel_grid<T>(
    path: &Path,
    rows: &[(String, Vec<Vec<T>>)],
    width: usize,
    height: usize,
    scale: usize,
    color: impl Fn(&T) -> RGBColor,
) -> Result<()> {
    let gap = 6usize;
    let label_w = if font_available() { 150 } else { 0 };
    let cols = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let w = label_w + cols * (width * scale + gap) + gap;
    let h = rows.len() * (height * scale + gap) + gap;
    let root = BitMapBackend::new(path, (w as u32, h as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    for (r, (label, images)) in rows.iter().enumerate() {
        let y0 = gap + r * (height * scale + gap);
        if label_w > 0 {
            root.draw(&Text::new(label.clone(), (6, (y0 + height * scale / 2 - 8) as i32), ("sans-serif", 15)))
                .map_err(|e| anyhow!("{e}"))?;
        }
        for (c, img) in images.iter().enumerate() {
            let x0 = label_w + gap + c * (width * scale + gap);
            for (i, v) in img.iter().enumerate().take(width * height) {
                let (px, py) = (x0 + (i % width) * scale, y0 + (i / width) * scale);
                root.draw(&Rectangle::new(
                    [(px as i32, py as i32), ((px + scale) as i32, (py + scale) as i32)],
                    color(v).filled(),
                ))
                .map_err(|e| anyhow!("{e}"))?;
            }
        }
    }
    root.present().map_err(|e| anyhow!("{e}")).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// A grid of binary images: one row per entry `(label, images)`, each image `width × height`
/// ±1 values (+1 drawn dark).
pub fn image_grid(path: &Path, rows: &[(String, Vec<Vec<i8>>)], width: usize, height: usize) -> Result<()> {
    pixel_grid(path, rows, width, height, 4, |&v| if v > 0 { RGBColor(20, 20, 20) } else { RGBColor(235, 235, 235) })
}

/// A grid of real-valued images (`tiles`, each `width × height` values, row-major), `cols` per
/// row, drawn with a blue–white–red map symmetric about zero: −max|v| blue, 0 white, +max|v|
/// red (the colour scale is shared by all tiles).
pub fn heatmap_grid(path: &Path, tiles: &[&[f64]], width: usize, height: usize, cols: usize) -> Result<()> {
    let scale = 3usize;
    let gap = 2usize;
    let cols = cols.max(1);
    let rows = tiles.len().div_ceil(cols).max(1);
    let w = cols * (width * scale + gap) + gap;
    let h = rows * (height * scale + gap) + gap;
    let vmax = tiles.iter().flat_map(|t| t.iter()).fold(0.0f64, |a, v| a.max(v.abs())).max(f64::MIN_POSITIVE);
    let root = BitMapBackend::new(path, (w as u32, h as u32)).into_drawing_area();
    root.fill(&RGBColor(128, 128, 128)).map_err(|e| anyhow!("{e}"))?;
    for (t, tile) in tiles.iter().enumerate() {
        let (x0, y0) = (gap + (t % cols) * (width * scale + gap), gap + (t / cols) * (height * scale + gap));
        for (i, &v) in tile.iter().enumerate().take(width * height) {
            let u = (v / vmax).clamp(-1.0, 1.0);
            let fade = |x: f64| (255.0 * (1.0 - x.abs())).round() as u8;
            let color = if u >= 0.0 { RGBColor(255, fade(u), fade(u)) } else { RGBColor(fade(u), fade(u), 255) };
            let (px, py) = (x0 + (i % width) * scale, y0 + (i / width) * scale);
            root.draw(&Rectangle::new(
                [(px as i32, py as i32), ((px + scale) as i32, (py + scale) as i32)],
                color.filled(),
            ))
            .map_err(|e| anyhow!("{e}"))?;
        }
    }
    root.present().map_err(|e| anyhow!("{e}")).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// A grid of grey-scale images: one row per entry `(label, images)`, each image `width × height`
/// values in `[0, 1]` (1 drawn white).
pub fn grey_grid(path: &Path, rows: &[(String, Vec<Vec<f64>>)], width: usize, height: usize) -> Result<()> {
    pixel_grid(path, rows, width, height, 3, |&v| {
        let g = (255.0 * v.clamp(0.0, 1.0)).round() as u8;
        RGBColor(g, g, g)
    })
}

/// Draws an image grid of the library's figure data: grey tiles with row labels, or a
/// diverging colour scale shared by all tiles.
pub fn images(path: &Path, grid: &ebdm::experiment::ImageGrid) -> Result<()> {
    match grid.palette {
        ebdm::experiment::Palette::Grey => grey_grid(path, &grid.rows, grid.width, grid.height),
        ebdm::experiment::Palette::Diverging => {
            let cols = grid.rows.iter().map(|r| r.1.len()).max().unwrap_or(1);
            let tiles: Vec<&[f64]> = grid.rows.iter().flat_map(|r| r.1.iter().map(Vec::as_slice)).collect();
            heatmap_grid(path, &tiles, grid.width, grid.height, cols)
        }
    }
}
