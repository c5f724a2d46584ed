//! An LLM agent's API key: read from the environment variable its scenario names (`api_key_env`)
//! when the run starts, and checked then, so a bad key is a clear refusal of the agent instead of
//! a header sent as is. A key is one or more visible ASCII characters (`!` to `~`): a space, a
//! control character (CR, LF, NUL, …) or a non-ASCII character is refused, and nothing is trimmed
//! — a key read from a file that ends in a line break is refused with a hint to strip it, rather
//! than silently changed. Errors name the variable, never the value; the key's `Debug` hides it.

use super::redact::Redactor;

/// A checked API key, with the redactor that hides it in text from the network.
#[derive(Clone)]
pub struct ApiKey {
    value: String,
    redactor: Redactor,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

/// What is wrong with `key`, in words that do not repeat it; `None` if it is usable.
fn problem(key: &str) -> Option<String> {
    if key.is_empty() {
        return Some("is empty".to_string());
    }
    let (at, c) = key.char_indices().find(|(_, c)| !c.is_ascii_graphic())?;
    let what = match c {
        '\r' => "a carriage return (CR)".to_string(),
        '\n' => "a line feed (LF)".to_string(),
        '\0' => "a NUL character".to_string(),
        ' ' => "a space".to_string(),
        '\t' => "a tab".to_string(),
        c if c.is_control() => format!("a control character (U+{:04X})", c as u32),
        _ => "a non-ASCII character".to_string(),
    };
    let place = if at + c.len_utf8() == key.len() { "at its end".to_string() } else { format!("at byte {}", at + 1) };
    let hint =
        if c == '\r' || c == '\n' { "; a key read from a file often ends in a line break: strip it" } else { "" };
    Some(format!("holds {what} {place}: a key is visible ASCII only, with no spaces or control characters{hint}"))
}

impl ApiKey {
    /// Checks `value`, the content of variable `var`; the error names `var`, never the value.
    pub fn new(var: &str, value: String) -> Result<ApiKey, String> {
        if let Some(why) = problem(&value) {
            return Err(format!("the API key in {var} (api_key_env) {why}"));
        }
        let redactor = Redactor::new(&value);
        Ok(ApiKey { value, redactor })
    }

    /// Reads and checks the key in variable `var`.
    pub fn from_env(var: &str) -> Result<ApiKey, String> {
        match std::env::var(var) {
            Ok(value) => ApiKey::new(var, value),
            Err(std::env::VarError::NotPresent) => Err(format!("the API key variable {var} (api_key_env) is not set")),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!(
                "the API key in {var} (api_key_env) holds a non-ASCII character: a key is visible ASCII only, \
                 with no spaces or control characters"
            )),
        }
    }

    /// The key, for the `Authorization` header and nothing else.
    pub(super) fn expose(&self) -> &str {
        &self.value
    }

    /// Hides the key in text.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(value: &str) -> String {
        let err = ApiKey::new("MY_KEY", value.to_string()).unwrap_err();
        assert!(value.len() < 8 || !err.contains(&value[..8]), "{err}");
        err
    }

    #[test]
    fn keys_are_visible_ascii_and_errors_never_repeat_them() {
        assert!(ApiKey::new("K", "sk-Abc_123.~!".to_string()).is_ok());
        assert_eq!(
            refused("sk-secret-value\r\n"),
            "the API key in MY_KEY (api_key_env) holds a carriage return (CR) at byte 16: a key is visible ASCII \
             only, with no spaces or control characters; a key read from a file often ends in a line break: strip it"
        );
        assert!(refused("sk-secret-value\n").contains("a line feed (LF) at its end"));
        assert!(refused("sk-a\0b-secret").contains("a NUL character at byte 5"));
        assert!(refused("sk-secret\u{1b}[2J").contains("a control character (U+001B)"));
        assert!(refused(" sk-secret-value").contains("a space at byte 1"));
        assert!(refused("sk-sécret-value").contains("a non-ASCII character at byte 5"));
        assert_eq!(refused(""), "the API key in MY_KEY (api_key_env) is empty");
        let key = ApiKey::new("K", "sk-hidden-1234".to_string()).unwrap();
        assert_eq!(format!("{key:?}"), "ApiKey([redacted])");
        assert_eq!(key.redactor().text("echo sk-hidden-1234"), "echo [redacted]");
        let err = ApiKey::from_env("SWITCHYARD_UNIT_TEST_SURELY_UNSET").unwrap_err();
        assert_eq!(err, "the API key variable SWITCHYARD_UNIT_TEST_SURELY_UNSET (api_key_env) is not set");
    }
}
