//! Which language a text is written in, so that heads trained on English only
//! score English. whatlang (trigrams per script) does the detection; the policy
//! around it is ours: short Latin-script texts are where detectors guess, so an
//! unreliable guess of another Latin language counts as English (the school's
//! language), while a text in another script is never English.

use whatlang::{Lang, Script};

/// The language of a text: an ISO 639-1 code where the language has one
/// (whatlang's ISO 639-3 code otherwise), or "und" when nothing was detectable
/// (digits, emoji, punctuation only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language {
    pub code: &'static str,
    /// Whether the detector was confident; false for most texts under ~5 words.
    pub reliable: bool,
}

pub const UNDETERMINED: &str = "und";
pub const ENGLISH: &str = "en";

impl Language {
    pub fn is_english(&self) -> bool {
        self.code == ENGLISH
    }
}

pub fn detect(text: &str) -> Language {
    // No letters (zero-width characters, digits, emoji): nothing to detect,
    // though whatlang may still guess.
    let info = text
        .chars()
        .any(char::is_alphabetic)
        .then(|| whatlang::detect(text))
        .flatten();
    let Some(info) = info else {
        return Language {
            code: UNDETERMINED,
            reliable: false,
        };
    };
    let lang = info.lang();
    let latin_guess = info.script() == Script::Latin && !info.is_reliable() && lang != Lang::Eng;
    if latin_guess && !has_non_english_letters(text) {
        return Language {
            code: ENGLISH,
            reliable: false,
        };
    }
    Language {
        code: iso_639_1(lang),
        reliable: info.is_reliable(),
    }
}

/// Letters English never writes (accents, ß, ñ...): a short text with one of them
/// is not English even when the detector is unsure which language it is.
fn has_non_english_letters(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_alphabetic() && !c.is_ascii() && matches!(c, '\u{00C0}'..='\u{024F}'))
}

fn iso_639_1(lang: Lang) -> &'static str {
    match lang {
        Lang::Eng => "en",
        Lang::Cmn => "zh",
        Lang::Spa => "es",
        Lang::Fra => "fr",
        Lang::Deu => "de",
        Lang::Por => "pt",
        Lang::Ita => "it",
        Lang::Nld => "nl",
        Lang::Rus => "ru",
        Lang::Ukr => "uk",
        Lang::Pol => "pl",
        Lang::Tur => "tr",
        Lang::Ara => "ar",
        Lang::Jpn => "ja",
        Lang::Kor => "ko",
        Lang::Hin => "hi",
        Lang::Vie => "vi",
        Lang::Swe => "sv",
        Lang::Dan => "da",
        Lang::Nob => "nb",
        Lang::Fin => "fi",
        Lang::Ell => "el",
        Lang::Heb => "he",
        Lang::Ind => "id",
        Lang::Ron => "ro",
        Lang::Ces => "cs",
        Lang::Hun => "hu",
        other => other.code(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_other_scripts_and_nothing() {
        for text in [
            "I was so confused about fractions before, but this video cleared everything up.",
            "omg i actually get it now",
            "sooo helpful, thank you!!",
            "10/10 would recommend",
        ] {
            assert!(detect(text).is_english(), "{text}: {:?}", detect(text));
        }
        assert_eq!(detect("这个视频讲得很清楚，我终于明白了分数。").code, "zh");
        assert_eq!(
            detect("¡Por fin entiendo las fracciones! El video lo explica todo paso a paso.").code,
            "es"
        );
        assert_eq!(
            detect("Ich verstehe überhaupt nichts, das Video ist viel zu schnell.").code,
            "de"
        );
        assert_eq!(detect("😍😍 !!! 42").code, UNDETERMINED);
        assert_eq!(detect("").code, UNDETERMINED);
        // whatlang calls this Arabic.
        assert_eq!(detect("\u{200B}\u{200B}\u{FEFF}").code, UNDETERMINED);
    }
}
