//! How things look: the 16 ANSI colours only (they work in every terminal a
//! school server has), nothing but bold and reverse video under `NO_COLOR`,
//! and plain ASCII instead of box drawing and block glyphs with `--ascii`.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols;
use ratatui::widgets::{Block, BorderType, Borders};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub ascii: bool,
}

const ASCII_BORDER: symbols::border::Set = symbols::border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

const SPARK_BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const SPARK_ASCII: [char; 8] = ['_', '.', ',', '-', '=', '+', '*', '#'];

impl Theme {
    /// `NO_COLOR` set to anything non-empty turns colour off (no-color.org).
    pub fn from_env(ascii: bool) -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme {
            color: !no_color,
            ascii,
        }
    }

    fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn block<'a>(&self, title: impl Into<ratatui::text::Line<'a>>) -> Block<'a> {
        let block = Block::new()
            .borders(Borders::ALL)
            .title(title)
            .title_style(self.title());
        if self.ascii {
            block.border_set(ASCII_BORDER)
        } else {
            block.border_type(BorderType::Plain)
        }
    }

    /// A block whose panel has the keyboard: bold border, so it shows without colour too.
    pub fn focused_block<'a>(&self, title: impl Into<ratatui::text::Line<'a>>) -> Block<'a> {
        let block = self
            .block(title)
            .border_style(self.fg(Color::Cyan).add_modifier(Modifier::BOLD));
        if self.ascii {
            block.border_set(symbols::border::Set {
                horizontal_top: "=",
                horizontal_bottom: "=",
                ..ASCII_BORDER
            })
        } else {
            block.border_type(BorderType::Thick)
        }
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn header(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// The sort column's header.
    pub fn header_active(&self) -> Style {
        self.header()
            .add_modifier(Modifier::UNDERLINED | Modifier::REVERSED)
    }

    /// A table row, in reverse video when the cursor is on it.
    pub fn row<'a>(
        &self,
        row: ratatui::widgets::Row<'a>,
        selected: bool,
    ) -> ratatui::widgets::Row<'a> {
        if selected {
            row.style(self.selected())
        } else {
            row
        }
    }

    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn info(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn accent(&self) -> Style {
        self.fg(Color::Magenta)
    }

    /// Colour for a share correct: red below half, yellow below 70 %, green above.
    pub fn rate(&self, rate: f64) -> Style {
        let color = if rate < 0.5 {
            Color::Red
        } else if rate < 0.7 {
            Color::Yellow
        } else {
            Color::Green
        };
        self.fg(color)
    }

    /// Colour for a mood, P(positive) - P(negative): red below -0.2, green above 0.2.
    pub fn mood(&self, mood: f64) -> Style {
        self.sentiment(if mood < -0.2 {
            "negative"
        } else if mood > 0.2 {
            "positive"
        } else {
            "neutral"
        })
    }

    /// Colour for an ability (0 is the school's average): red a standard
    /// deviation below, green one above.
    pub fn ability(&self, theta: f64) -> Style {
        self.sentiment(if theta < -1.0 {
            "negative"
        } else if theta > 1.0 {
            "positive"
        } else {
            "neutral"
        })
    }

    /// Colour for a sentiment label; the label is always written too.
    pub fn sentiment(&self, label: &str) -> Style {
        match label {
            "negative" => self.fg(Color::Red),
            "positive" => self.fg(Color::Green),
            "neutral" => self.fg(Color::Yellow),
            _ => self.dim(),
        }
    }

    /// Heatmap cell: coloured background; without colour the number alone carries it.
    pub fn heat(&self, rate: f64) -> Style {
        if !self.color {
            return Style::new();
        }
        let bg = if rate < 0.4 {
            Color::Red
        } else if rate < 0.5 {
            Color::LightRed
        } else if rate < 0.6 {
            Color::Yellow
        } else if rate < 0.7 {
            Color::LightGreen
        } else {
            Color::Green
        };
        Style::new().bg(bg).fg(Color::Black)
    }

    pub fn spark_levels(&self) -> &'static [char; 8] {
        if self.ascii {
            &SPARK_ASCII
        } else {
            &SPARK_BLOCKS
        }
    }

    pub fn bar_set(&self) -> symbols::bar::Set<'static> {
        if self.ascii {
            symbols::bar::Set {
                full: "#",
                seven_eighths: "#",
                three_quarters: "=",
                five_eighths: "=",
                half: "-",
                three_eighths: "-",
                one_quarter: ".",
                one_eighth: ".",
                empty: " ",
            }
        } else {
            symbols::bar::NINE_LEVELS
        }
    }

    /// Branches of a drawn tree: (middle child, last child, continuing line).
    pub fn tree(&self) -> (&'static str, &'static str, &'static str) {
        if self.ascii {
            ("|- ", "`- ", "|  ")
        } else {
            ("├─ ", "└─ ", "│  ")
        }
    }

    pub fn spinner(&self, tick: u64) -> char {
        const BRAILLE: [char; 8] = ['⣾', '⣽', '⣻', '⢿', '⡿', '⣟', '⣯', '⣷'];
        const ASCII: [char; 4] = ['|', '/', '-', '\\'];
        if self.ascii {
            ASCII[(tick % 4) as usize]
        } else {
            BRAILLE[(tick % 8) as usize]
        }
    }

    pub fn ellipsis(&self) -> &'static str {
        if self.ascii { "..." } else { "…" }
    }

    pub fn dash(&self) -> &'static str {
        if self.ascii { "-" } else { "—" }
    }
}

/// Values scaled to the theme's eight levels, max as the top.
pub fn sparkline(theme: &Theme, values: &[u64]) -> String {
    let levels = theme.spark_levels();
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            if max == 0 || v == 0 {
                ' '
            } else {
                let level = ((v as f64 / max as f64) * 7.0).round() as usize;
                levels[level.min(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_largest_value() {
        let theme = Theme {
            color: true,
            ascii: false,
        };
        assert_eq!(sparkline(&theme, &[0, 1, 2, 4]), " ▃▅█");
        let ascii = Theme {
            color: false,
            ascii: true,
        };
        assert_eq!(sparkline(&ascii, &[4, 4]), "##");
        assert_eq!(sparkline(&ascii, &[0, 0]), "  ");
    }
}
