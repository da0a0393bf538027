//! The report's charts, drawn with plotters: SVG for the HTML (and on its
//! own), PNG through the bitmap backend with DejaVu Sans from bytes, so a bare
//! server draws text without system fonts. Each data point is exactly one mark
//! (a circle, a rectangle or a line) and legends live in the HTML, so a chart
//! can be checked mark by mark against its table.

use std::sync::Once;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::ReportError;

/// Okabe–Ito: tells lines apart for colour-blind readers too.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];
const INK: RGBColor = RGBColor(40, 40, 40);
const ACCENT: RGBColor = RGBColor(0, 114, 178);
const FONT: &str = "sans-serif";

/// What a chart shows; the numbers are the same as in the chart's table.
#[derive(Debug, Clone, PartialEq)]
pub enum Plot {
    /// Students by ability: (label, estimate, SD), lowest first.
    Intervals { points: Vec<(String, f64, f64)> },
    /// Rows × columns of values in 0..1, None where there is no estimate.
    Heatmap {
        rows: Vec<String>,
        columns: Vec<String>,
        cells: Vec<Vec<Option<f64>>>,
    },
    /// One bar per label (weeks, resources).
    Bars {
        labels: Vec<String>,
        values: Vec<f64>,
        horizontal: bool,
        x_desc: String,
        y_desc: String,
    },
    /// A value in -1..1 per labelled step, joined by a line.
    Trend {
        labels: Vec<String>,
        values: Vec<f64>,
        y_desc: String,
    },
    /// One line per series over weeks: (name, [(week, value)]).
    Lines {
        series: Vec<(String, Vec<(f64, f64)>)>,
        x_desc: String,
        y_desc: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File stem and HTML id.
    pub id: String,
    pub title: String,
    /// What it shows and what was left out, in words.
    pub caption: String,
    /// (label, colour) for the HTML legend.
    pub legend: Vec<(String, RGBColor)>,
    pub plot: Plot,
}

impl Chart {
    /// Data marks drawn: the figure a test counts.
    pub fn marks(&self) -> usize {
        match &self.plot {
            Plot::Intervals { points } => points.len(),
            Plot::Heatmap { cells, .. } => cells.iter().flatten().filter(|c| c.is_some()).count(),
            Plot::Bars { values, .. } => values.len(),
            Plot::Trend { values, .. } => values.len(),
            Plot::Lines { series, .. } => series.iter().map(|(_, p)| p.len()).sum(),
        }
    }

    fn size(&self) -> (u32, u32) {
        match &self.plot {
            Plot::Heatmap { rows, .. } => (720, 70 + 16 * rows.len().max(1) as u32),
            Plot::Bars {
                labels,
                horizontal: true,
                ..
            } => (720, 60 + 26 * labels.len().max(1) as u32),
            Plot::Lines { .. } => (560, 240),
            _ => (720, 300),
        }
    }

    pub fn svg(&self) -> Result<String, ReportError> {
        register_fonts();
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, self.size()).into_drawing_area();
            self.draw(&root).map_err(|e| self.error(e))?;
            root.present().map_err(|e| self.error(e.to_string()))?;
        }
        Ok(out)
    }

    /// The chart as PNG bytes, twice the SVG's size for print.
    pub fn png(&self) -> Result<Vec<u8>, ReportError> {
        use image::ImageEncoder;
        register_fonts();
        let (w, h) = self.size();
        let mut pixels = vec![255u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| self.error(e.to_string()))?;
            self.draw(&root).map_err(|e| self.error(e))?;
            root.present().map_err(|e| self.error(e.to_string()))?;
        }
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&pixels, w, h, image::ColorType::Rgb8)
            .map_err(|e| self.error(e.to_string()))?;
        Ok(png)
    }

    fn error(&self, why: String) -> ReportError {
        ReportError::Chart {
            chart: self.id.clone(),
            why,
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        match &self.plot {
            Plot::Intervals { points } => {
                let (lo, hi) = points
                    .iter()
                    .fold((-2.0f64, 2.0f64), |(lo, hi), (_, t, s)| {
                        (lo.min(t - s), hi.max(t + s))
                    });
                let n = points.len().max(1) as f64;
                let mut chart = frame(root, (34, 44), -0.5..n - 0.5, (lo - 0.2)..(hi + 0.2))?;
                house(&mut chart.configure_mesh())
                    .disable_x_mesh()
                    .disable_x_axis()
                    .x_desc("students, lowest estimate first")
                    .y_desc("ability (logits)")
                    .draw()
                    .map_err(e)?;
                chart
                    .draw_series(points.iter().enumerate().map(|(i, (_, t, s))| {
                        PathElement::new(vec![(i as f64, t - s), (i as f64, t + s)], ACCENT)
                    }))
                    .map_err(e)?;
                chart
                    .draw_series(
                        points
                            .iter()
                            .enumerate()
                            .map(|(i, (_, t, _))| Circle::new((i as f64, *t), 3, INK.filled())),
                    )
                    .map_err(e)?;
            }
            Plot::Heatmap {
                rows,
                columns,
                cells,
            } => {
                let (n_rows, n_cols) = (rows.len().max(1) as f64, columns.len().max(1) as f64);
                let mut chart = frame(root, (30, 150), -0.5..n_cols - 0.5, -0.5..n_rows - 0.5)?;
                // Labels sit on whole numbers, the cells' centres; rows run top down.
                house(&mut chart.configure_mesh())
                    .disable_mesh()
                    .x_labels(columns.len().max(1))
                    .y_labels(rows.len().max(1))
                    .x_label_formatter(&|x| {
                        tick(*x, columns.len())
                            .map(|i| (i + 1).to_string())
                            .unwrap_or_default()
                    })
                    .y_label_formatter(&|y| {
                        tick(*y, rows.len())
                            .and_then(|i| rows.get(rows.len() - 1 - i))
                            .map(|s| short(s, 22))
                            .unwrap_or_default()
                    })
                    .x_desc("skill (numbered as in the legend)")
                    .draw()
                    .map_err(e)?;
                chart
                    .draw_series(cells.iter().enumerate().flat_map(|(r, row)| {
                        row.iter().enumerate().filter_map(move |(c, v)| {
                            let v = (*v)?;
                            let (x, y) = (c as f64, n_rows - 1.0 - r as f64);
                            Some(Rectangle::new(
                                [(x - 0.46, y - 0.42), (x + 0.46, y + 0.42)],
                                shade(v).filled(),
                            ))
                        })
                    }))
                    .map_err(e)?;
            }
            Plot::Bars {
                labels,
                values,
                horizontal,
                x_desc,
                y_desc,
            } => {
                let top = values.iter().copied().fold(1.0f64, f64::max) * 1.08;
                let n = labels.len().max(1) as f64;
                let name = |v: &f64| {
                    tick(*v, labels.len())
                        .map(|i| short(&labels[i], 34))
                        .unwrap_or_default()
                };
                if *horizontal {
                    let mut chart = frame(root, (34, 250), 0.0..top, -0.5..n - 0.5)?;
                    house(&mut chart.configure_mesh())
                        .disable_y_mesh()
                        .y_labels(labels.len().max(1))
                        .y_label_formatter(&|v| name(&(n - 1.0 - v)))
                        .x_desc(x_desc.as_str())
                        .y_desc(y_desc.as_str())
                        .draw()
                        .map_err(e)?;
                    chart
                        .draw_series(values.iter().enumerate().map(|(i, v)| {
                            let y = n - 1.0 - i as f64;
                            Rectangle::new([(0.0, y - 0.35), (*v, y + 0.35)], ACCENT.filled())
                        }))
                        .map_err(e)?;
                } else {
                    let mut chart = frame(root, (34, 54), -0.5..n - 0.5, 0.0..top)?;
                    house(&mut chart.configure_mesh())
                        .disable_x_mesh()
                        .x_labels(labels.len().clamp(1, 12))
                        .x_label_formatter(&name)
                        .x_desc(x_desc.as_str())
                        .y_desc(y_desc.as_str())
                        .draw()
                        .map_err(e)?;
                    chart
                        .draw_series(values.iter().enumerate().map(|(i, v)| {
                            let x = i as f64;
                            Rectangle::new([(x - 0.38, 0.0), (x + 0.38, *v)], ACCENT.filled())
                        }))
                        .map_err(e)?;
                }
            }
            Plot::Trend {
                labels,
                values,
                y_desc,
            } => {
                let n = labels.len().max(1) as f64;
                let mut chart = frame(root, (34, 54), -0.5..n - 0.5, -1.0..1.0)?;
                let name = |v: &f64| {
                    tick(*v, labels.len())
                        .map(|i| labels[i].clone())
                        .unwrap_or_default()
                };
                house(&mut chart.configure_mesh())
                    .disable_x_mesh()
                    .x_labels(labels.len().clamp(1, 10))
                    .x_label_formatter(&name)
                    .x_desc("week (Monday)")
                    .y_desc(y_desc.as_str())
                    .draw()
                    .map_err(e)?;
                if values.len() > 1 {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            values
                                .iter()
                                .enumerate()
                                .map(|(i, v)| (i as f64, *v))
                                .collect::<Vec<_>>(),
                            ACCENT,
                        )))
                        .map_err(e)?;
                }
                chart
                    .draw_series(
                        values
                            .iter()
                            .enumerate()
                            .map(|(i, v)| Circle::new((i as f64, *v), 4, ACCENT.filled())),
                    )
                    .map_err(e)?;
            }
            Plot::Lines {
                series,
                x_desc,
                y_desc,
            } => {
                let points = || series.iter().flat_map(|(_, p)| p.iter());
                let (x0, x1) = points().fold((f64::MAX, f64::MIN), |(a, b), (x, _)| {
                    (a.min(*x), b.max(*x))
                });
                let (x0, x1) = if x0 > x1 {
                    (0.0, 1.0)
                } else {
                    (x0, x1.max(x0 + 1.0))
                };
                let (y0, y1) =
                    points().fold((-1.0f64, 1.0f64), |(a, b), (_, y)| (a.min(*y), b.max(*y)));
                let mut chart = frame(
                    root,
                    (34, 44),
                    (x0 - 0.3)..(x1 + 0.3),
                    (y0 - 0.2)..(y1 + 0.2),
                )?;
                house(&mut chart.configure_mesh())
                    .x_label_formatter(&|x| format!("{}", x.round() as i64))
                    .x_desc(x_desc.as_str())
                    .y_desc(y_desc.as_str())
                    .draw()
                    .map_err(e)?;
                for (i, (_, line)) in series.iter().enumerate() {
                    let colour = PALETTE[i % PALETTE.len()];
                    if line.len() > 1 {
                        chart
                            .draw_series(std::iter::once(PathElement::new(line.clone(), colour)))
                            .map_err(e)?;
                    }
                    chart
                        .draw_series(line.iter().map(|p| Circle::new(*p, 3, colour.filled())))
                        .map_err(e)?;
                }
            }
        }
        Ok(())
    }
}

type Frame<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The plotting area with the house margins; `labels`: the x and y label areas' sizes.
fn frame<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    labels: (u32, u32),
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<Frame<'a, DB>, String> {
    ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(labels.0)
        .y_label_area_size(labels.1)
        .build_cartesian_2d(x, y)
        .map_err(|e| e.to_string())
}

/// The house axes: no minor grid lines, one font.
fn house<'m, 'a, 'b, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB>,
) -> &'m mut MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB> {
    let font = (FONT, 12).into_font().color(&INK);
    mesh.max_light_lines(0)
        .label_style(font.clone())
        .axis_desc_style(font)
}

/// The index of the label at axis position `v`: labels sit on whole numbers
/// (the marks' centres), and an axis asks for positions in between too.
fn tick(v: f64, n: usize) -> Option<usize> {
    let i = v.round();
    ((v - i).abs() < 0.01 && i >= 0.0 && (i as usize) < n).then_some(i as usize)
}

/// Light to dark blue with the value (0..1): printable in grey too.
pub fn shade(v: f64) -> RGBColor {
    let v = v.clamp(0.0, 1.0);
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * v).round() as u8;
    RGBColor(mix(239, 8), mix(243, 48), mix(255, 107))
}

/// `text` in at most `max` columns, cut with "…" at a whole character: a
/// Chinese character takes two columns, as it takes twice the width of a
/// Latin letter in the chart's margin.
fn short(text: &str, max: usize) -> String {
    if text.width() <= max {
        return text.to_string();
    }
    let mut kept = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        // One column is left for the ellipsis.
        if used + w + 1 > max {
            break;
        }
        kept.push(c);
        used += w;
    }
    kept.push('…');
    kept
}

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes ship inside the binary; they parse, or the crate is broken.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_cut_by_columns_at_whole_characters() {
        assert_eq!(short("Fractions", 22), "Fractions");
        assert_eq!(
            short("Equivalent fractions and decimals", 12),
            "Equivalent …"
        );
        // Two columns each: 11 fit in 22, so 10 and the ellipsis.
        let label = "分数与小数的互化以及比较大小练习";
        let cut = short(label, 22);
        assert_eq!(cut, "分数与小数的互化以及…");
        assert!(cut.width() <= 22);
        let mixed = "我喜欢这个视频 video 分数";
        for max in 2..30 {
            let cut = short(mixed, max);
            assert!(cut.width() <= max, "{cut:?} in {max}");
            assert_eq!(cut.ends_with('…'), mixed.width() > max, "{cut:?} in {max}");
        }
    }

    #[test]
    fn chinese_labels_draw_in_svg_and_do_not_break_png() {
        let chart = Chart {
            id: "suggested".into(),
            title: "Most suggested".into(),
            caption: String::new(),
            legend: Vec::new(),
            plot: Plot::Bars {
                labels: vec![
                    "分数与小数的互化以及比较大小的练习视频".into(),
                    "Fractions".into(),
                ],
                values: vec![3.0, 2.0],
                horizontal: true,
                x_desc: "students".into(),
                y_desc: String::new(),
            },
        };
        let svg = chart.svg().unwrap();
        assert!(svg.contains("分数与小数的互化以及比较大小的练…"), "{svg}");
        // DejaVu has no Chinese glyphs: PNG draws boxes, but still draws.
        let png = chart.png().unwrap();
        assert!(png.starts_with(b"\x89PNG"));
    }
}
