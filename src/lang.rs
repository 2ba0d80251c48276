//! The language of wsmon's prose for a person: the close-code catalogue
//! (`wsmon codes`, the explain popup) and the Markdown report. Chosen once
//! at start (docs/ARCHITECTURE.md, "Languages") and passed down as a value;
//! nothing reads the environment after that. Machine output (JSON, metrics,
//! class, cause and stage names) never depends on it.

/// A language wsmon writes its prose in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Ja,
}

/// The locale variables that may choose the language, first non-empty wins.
pub const LOCALE_VARS: [&str; 3] = ["LC_ALL", "LC_MESSAGES", "LANG"];

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ja];

    /// The name `--lang` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    /// `--lang`'s value, or what it may be (a usage error, exit 2).
    pub fn parse(text: &str) -> Result<Lang, String> {
        let wanted = text.trim();
        Lang::ALL.into_iter().find(|lang| lang.as_str().eq_ignore_ascii_case(wanted)).ok_or_else(|| {
            let names: Vec<_> = Lang::ALL.iter().map(|lang| lang.as_str()).collect();
            format!("'{text}' is not a language wsmon writes: use {}", names.join(" or "))
        })
    }

    /// The language a locale name asks for: one starting with `ja` (`ja`,
    /// `ja_JP.UTF-8`, the old alias `japanese`) is Japanese; anything else
    /// (`C`, `POSIX`, `en_US.UTF-8`) is English.
    pub fn of_locale(locale: &str) -> Lang {
        if locale.starts_with("ja") { Lang::Ja } else { Lang::En }
    }

    /// `--lang` when given, else the first non-empty of `LC_ALL`,
    /// `LC_MESSAGES` and `LANG` as `var` reads them, else English. `var`
    /// is a parameter so tests never touch the process environment.
    pub fn from_env_and_flag(flag: Option<Lang>, var: impl Fn(&str) -> Option<String>) -> Lang {
        if let Some(lang) = flag {
            return lang;
        }
        LOCALE_VARS
            .iter()
            .filter_map(|name| var(name))
            .find(|value| !value.is_empty())
            .map_or(Lang::En, |locale| Lang::of_locale(&locale))
    }

    /// `from_env_and_flag` over the process environment.
    pub fn from_process(flag: Option<Lang>) -> Lang {
        Lang::from_env_and_flag(flag, |name| std::env::var_os(name).map(|value| value.to_string_lossy().into_owned()))
    }

    /// The English or the Japanese of a piece of text.
    pub fn pick<T>(self, en: T, ja: T) -> T {
        match self {
            Lang::En => en,
            Lang::Ja => ja,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string())
    }

    #[test]
    fn the_flag_beats_every_variable() {
        let all_japanese = [("LC_ALL", "ja_JP.UTF-8"), ("LC_MESSAGES", "ja_JP.UTF-8"), ("LANG", "ja_JP.UTF-8")];
        assert_eq!(Lang::from_env_and_flag(Some(Lang::En), env(&all_japanese)), Lang::En);
        assert_eq!(Lang::from_env_and_flag(Some(Lang::Ja), env(&[("LC_ALL", "C")])), Lang::Ja);
    }

    #[test]
    fn lc_all_beats_lc_messages_beats_lang() {
        let pick = |vars: &[(&str, &str)]| Lang::from_env_and_flag(None, env(vars));
        assert_eq!(pick(&[("LC_ALL", "C"), ("LC_MESSAGES", "ja_JP.UTF-8"), ("LANG", "ja_JP.UTF-8")]), Lang::En);
        assert_eq!(pick(&[("LC_ALL", "ja_JP.UTF-8"), ("LC_MESSAGES", "C"), ("LANG", "C")]), Lang::Ja);
        assert_eq!(pick(&[("LC_MESSAGES", "ja_JP.UTF-8"), ("LANG", "en_US.UTF-8")]), Lang::Ja);
        assert_eq!(pick(&[("LC_MESSAGES", "POSIX"), ("LANG", "ja_JP.UTF-8")]), Lang::En);
        assert_eq!(pick(&[("LANG", "ja_JP.UTF-8")]), Lang::Ja);
        assert_eq!(pick(&[]), Lang::En);
    }

    #[test]
    fn an_empty_variable_is_skipped() {
        let pick = |vars: &[(&str, &str)]| Lang::from_env_and_flag(None, env(vars));
        assert_eq!(pick(&[("LC_ALL", ""), ("LC_MESSAGES", ""), ("LANG", "ja_JP.UTF-8")]), Lang::Ja);
        assert_eq!(pick(&[("LC_ALL", ""), ("LANG", "C")]), Lang::En);
    }

    #[test]
    fn locale_names() {
        for japanese in ["ja", "ja_JP", "ja_JP.UTF-8", "ja_JP.eucJP", "ja.UTF-8", "ja_JP@cjknarrow", "japanese"] {
            assert_eq!(Lang::of_locale(japanese), Lang::Ja, "{japanese}");
        }
        for english in ["C", "POSIX", "C.UTF-8", "en_US.UTF-8", "de_DE", "JA_JP", ""] {
            assert_eq!(Lang::of_locale(english), Lang::En, "{english}");
        }
    }

    #[test]
    fn the_flag_parses_or_says_what_is_allowed() {
        assert_eq!(Lang::parse("ja"), Ok(Lang::Ja));
        assert_eq!(Lang::parse("EN"), Ok(Lang::En));
        let error = Lang::parse("fr").unwrap_err();
        assert!(error.contains("'fr'") && error.contains("en or ja"), "{error}");
    }
}
