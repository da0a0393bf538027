//! Which encoder reads which text. MiniLM reads English only; the 4-bit e5
//! reads about a hundred languages, three times slower on English. A school
//! chooses: MiniLM for English and e5 for the rest (`split`), or e5 for every
//! text (`e5`), which puts all comments in one space so that a query in one
//! language finds comments in another.

use serde::Serialize;

use super::language::{Language, UNDETERMINED};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Encoders {
    /// MiniLM for English (and the catalogue), multilingual e5 for other languages
    Split,
    /// Multilingual e5 for every text: one space, search across languages
    E5,
}

/// What `classlens analyze` uses unless told otherwise (README: why).
pub const DEFAULT: Encoders = Encoders::Split;

/// The encoders' cache keys: English texts and the catalogue (resources,
/// skills, items) go to `english`, texts in other languages to `other`. The
/// two are the same key when one encoder reads everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    pub english: String,
    pub other: String,
}

/// Texts of no detectable language (emoji, digits) stay with the English
/// encoder, as do the short Latin-script ones the detector counts English.
pub fn reads_as_english(language: &Language) -> bool {
    language.is_english() || language.code == UNDETERMINED
}

impl Route {
    pub fn single(model: &str) -> Route {
        Route {
            english: model.to_string(),
            other: model.to_string(),
        }
    }

    pub fn is_split(&self) -> bool {
        self.english != self.other
    }

    pub fn model_for(&self, language: &Language) -> &str {
        if reads_as_english(language) {
            &self.english
        } else {
            &self.other
        }
    }

    /// Each model once, the English one first.
    pub fn models(&self) -> Vec<&str> {
        if self.is_split() {
            vec![&self.english, &self.other]
        } else {
            vec![&self.english]
        }
    }

    /// How the route is written at the head of the insights' source.
    pub fn stamp(&self) -> String {
        if self.is_split() {
            format!("{}+{}", self.english, self.other)
        } else {
            self.english.clone()
        }
    }

    /// The route the stored insights were computed with, from their source.
    pub fn from_source(source: &str) -> Route {
        let stamp = source.split('|').next().unwrap_or_default();
        match stamp.split_once('+') {
            Some((english, other)) => Route {
                english: english.to_string(),
                other: other.to_string(),
            },
            None => Route::single(stamp),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::language::detect;

    #[test]
    fn routes_by_language_and_reads_back_from_the_source() {
        let split = Route {
            english: "mini@1".into(),
            other: "e5@2".into(),
        };
        assert_eq!(
            split.model_for(&detect("I finally get fractions now")),
            "mini@1"
        );
        assert_eq!(split.model_for(&detect("😍😍")), "mini@1");
        assert_eq!(split.model_for(&detect("这节课的分数练习太难了")), "e5@2");
        assert_eq!(split.models(), ["mini@1", "e5@2"]);
        let source = format!("{}|head:ab|topics:cd", split.stamp());
        assert_eq!(Route::from_source(&source), split);

        let one = Route::single("e5@2");
        assert!(!one.is_split());
        assert_eq!(
            one.model_for(&detect("I finally get fractions now")),
            "e5@2"
        );
        assert_eq!(one.models(), ["e5@2"]);
        assert_eq!(Route::from_source(&format!("{}|head:ab", one.stamp())), one);
    }
}
