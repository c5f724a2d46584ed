//! How a command reaches the server: its credentials and the CA it trusts, from the flags every
//! command that connects has ([`AccessArgs`]: `run --serve`, `attach`, `ctl`) and the environment.
//!
//! A secret is never taken from the command line in plain (where `ps` and shell histories show it):
//! a password comes from `$SWITCHYARD_NATS_PASSWORD`, a token from a file or
//! `$SWITCHYARD_NATS_TOKEN`, an nkey seed or a `.creds` file from a file. (A password or token in
//! the server URL still works, and is discouraged.) Whatever goes wrong is said naming the
//! variable or the file, never the value, and every text we print about the connection goes
//! through [`Access::scrub`].

use std::path::{Path, PathBuf};

use super::creds::{self, UrlAuth};

/// The variable a password is read from (with `--nats-user`).
pub const PASSWORD_VAR: &str = "SWITCHYARD_NATS_PASSWORD";
/// The variable a token is read from when no other credentials are given.
pub const TOKEN_VAR: &str = "SWITCHYARD_NATS_TOKEN";

/// The flags of every command that connects to a NATS server.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct AccessArgs {
    /// Log in with a NATS credentials file (`.creds`: a user JWT and its nkey seed) or a file
    /// holding a user nkey seed (`SU…`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["nats_user", "nats_token_file"])]
    pub nats_creds: Option<PathBuf>,
    /// Log in as this user, with the password in $SWITCHYARD_NATS_PASSWORD.
    #[arg(long, value_name = "NAME", conflicts_with = "nats_token_file")]
    pub nats_user: Option<String>,
    /// Log in with the token in this file [default: $SWITCHYARD_NATS_TOKEN, when no other
    /// credentials are given].
    #[arg(long, value_name = "FILE")]
    pub nats_token_file: Option<PathBuf>,
    /// Trust this CA (a PEM file) for the server's certificate; TLS is then required.
    #[arg(long, value_name = "FILE")]
    pub nats_ca: Option<PathBuf>,
}

impl AccessArgs {
    /// Whether any of the flags is given.
    pub fn given(&self) -> bool {
        let AccessArgs { nats_creds, nats_user, nats_token_file, nats_ca } = self;
        nats_creds.is_some() || nats_user.is_some() || nats_token_file.is_some() || nats_ca.is_some()
    }
}

/// How to log in.
#[derive(Clone, PartialEq, Eq)]
enum Login {
    Anonymous,
    UserPassword(String, String),
    Token(String),
    /// A user nkey seed (`SU…`).
    NKey(String),
    /// The text of a `.creds` file.
    Creds(String),
}

/// A server to reach and how: the URL, the login, the CA, and the secrets to keep out of sight.
#[derive(Clone)]
pub struct Access {
    urls: String,
    login: Login,
    ca: Option<PathBuf>,
    /// Where the login comes from, for messages (`user `viewer`, password from $VAR`).
    source: String,
    /// Every secret in play, longest first.
    secrets: Vec<String>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access").field("server", &self.shown()).field("login", &self.source).finish_non_exhaustive()
    }
}

impl Access {
    /// The server at `urls` with the credentials the URL carries, if any, and nothing else.
    pub fn url_only(urls: &str) -> Access {
        let login = match creds::from_url(urls) {
            Some(UrlAuth::UserPassword(user, password)) => Login::UserPassword(user, password),
            Some(UrlAuth::Token(token)) => Login::Token(token),
            None => Login::Anonymous,
        };
        let source = match &login {
            Login::UserPassword(user, _) => format!("user `{user}`, password in the server URL"),
            Login::Token(_) => "the token in the server URL".to_string(),
            _ => "no credentials".to_string(),
        };
        let mut access = Access { urls: urls.to_string(), login, ca: None, source, secrets: Vec::new() };
        access.collect_secrets();
        access
    }

    /// The server at `urls`, reached as the flags and the environment say.
    pub fn new(urls: &str, args: &AccessArgs) -> Result<Access, String> {
        Access::resolve(urls, args, &|var| std::env::var_os(var))
    }

    /// [`Access::new`] with the environment given (for tests).
    pub fn resolve(
        urls: &str,
        args: &AccessArgs,
        env: &dyn Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Access, String> {
        let mut access = Access::url_only(urls);
        access.ca = args.nats_ca.clone();
        let in_url = access.login != Login::Anonymous;
        let flag = match (&args.nats_creds, &args.nats_user, &args.nats_token_file) {
            (Some(_), ..) => Some("--nats-creds"),
            (_, Some(_), _) => Some("--nats-user"),
            (.., Some(_)) => Some("--nats-token-file"),
            _ => None,
        };
        if let (true, Some(flag)) = (in_url, flag) {
            return Err(format!(
                "credentials given twice: in the server URL and with {flag}; give them one way \
                 (the flag: a URL's password shows in `ps`)"
            ));
        }
        let var = |name: &str| -> Result<Option<String>, String> {
            match env(name) {
                None => Ok(None),
                Some(value) => value.into_string().map(Some).map_err(|_| format!("${name} is not valid UTF-8")),
            }
        };
        if let Some(path) = &args.nats_creds {
            let text = read_secret_file(path, "credentials file")?;
            (access.login, access.source) = if text.contains("BEGIN NATS USER JWT") {
                (Login::Creds(text), format!("the credentials file {}", path.display()))
            } else {
                let seed = text.trim_end_matches(['\n', '\r']);
                check_seed(seed).map_err(|why| format!("{}: {why}", path.display()))?;
                (Login::NKey(seed.to_string()), format!("the nkey seed in {}", path.display()))
            };
        } else if let Some(user) = &args.nats_user {
            let password = var(PASSWORD_VAR)?
                .ok_or_else(|| format!("--nats-user {user} needs its password in ${PASSWORD_VAR}, which is not set"))?;
            check_secret(&password).map_err(|why| format!("${PASSWORD_VAR} {why}"))?;
            access.login = Login::UserPassword(user.clone(), password);
            access.source = format!("user `{user}`, password from ${PASSWORD_VAR}");
        } else if let Some(path) = &args.nats_token_file {
            let text = read_secret_file(path, "token file")?;
            let token = text.trim_end_matches(['\n', '\r']);
            check_secret(token).map_err(|why| format!("the token file {} {why}", path.display()))?;
            access.login = Login::Token(token.to_string());
            access.source = format!("the token in {}", path.display());
        } else if !in_url && let Some(token) = var(TOKEN_VAR)? {
            check_secret(&token).map_err(|why| format!("${TOKEN_VAR} {why}"))?;
            access.login = Login::Token(token);
            access.source = format!("the token in ${TOKEN_VAR}");
        }
        access.collect_secrets();
        Ok(access)
    }

    fn collect_secrets(&mut self) {
        let mut all = creds::secrets(&self.urls);
        match &self.login {
            Login::UserPassword(_, secret) | Login::Token(secret) | Login::NKey(secret) => all.push(secret.clone()),
            Login::Creds(text) => {
                // Its seed (the JWT is no secret, but nothing of the file is worth printing).
                let words = text.split_whitespace();
                all.extend(words.filter(|w| w.starts_with('S') && w.len() > 40).map(String::from));
            }
            Login::Anonymous => {}
        }
        all.retain(|s| !s.is_empty());
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        all.dedup();
        self.secrets = all;
    }

    /// The server URLs as given (credentials included: for connecting only).
    pub fn urls(&self) -> &str {
        &self.urls
    }

    /// The server URLs as they may be printed (`nats://***@host:4222`).
    pub fn shown(&self) -> String {
        creds::redact(&self.urls)
    }

    /// Where the login comes from, for messages; never a secret.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The CA file to trust, if one was given.
    pub fn ca(&self) -> Option<&Path> {
        self.ca.as_deref()
    }

    /// `text` with every secret in play replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = creds::scrub(text, &self.urls);
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), "***");
        }
        out
    }

    /// The client options that log in as asked.
    pub(super) fn login(&self, opts: async_nats::ConnectOptions) -> Result<async_nats::ConnectOptions, String> {
        Ok(match &self.login {
            Login::Anonymous => opts,
            Login::UserPassword(user, password) => opts.user_and_password(user.clone(), password.clone()),
            Login::Token(token) => opts.token(token.clone()),
            Login::NKey(seed) => opts.nkey(seed.clone()),
            Login::Creds(text) => {
                opts.credentials(text).map_err(|e| format!("{}: {}", self.source, self.scrub(&e.to_string())))?
            }
        })
    }
}

/// The largest secret file read.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// A file holding a secret: read whole, at most 64 KiB; errors name the file.
fn read_secret_file(path: &Path, what: &str) -> Result<String, String> {
    let shown = path.display();
    let reason = |e: std::io::Error| crate::scenario::io_reason(&e);
    // Bounded whatever the metadata says: a pipe (`<(pass show …)`, a good way to hand over a
    // secret) has no length.
    let bytes = crate::scenario::read_at_most(path, MAX_SECRET_BYTES)
        .map_err(|e| format!("cannot read the {what} {shown}: {}", reason(e)))?
        .ok_or_else(|| format!("the {what} {shown} is larger than 64 KiB"))?;
    String::from_utf8(bytes).map_err(|_| format!("the {what} {shown} is not UTF-8 text"))
}

/// A password or token: not empty, no control character (a file's last line end is taken off
/// before). The error completes a sentence naming where it came from.
fn check_secret(secret: &str) -> Result<(), &'static str> {
    if secret.is_empty() {
        return Err("is empty");
    }
    if secret.chars().any(char::is_control) {
        return Err("holds a control character (a line break inside?)");
    }
    Ok(())
}

/// A user nkey seed: `SU` and 56 more base32 characters.
fn check_seed(seed: &str) -> Result<(), &'static str> {
    let base32 = |c: char| c.is_ascii_uppercase() || ('2'..='7').contains(&c);
    if seed.len() == 58 && seed.starts_with("SU") && seed.chars().all(base32) {
        Ok(())
    } else {
        Err("neither a NATS credentials file (-----BEGIN NATS USER JWT-----) nor a user nkey seed \
             (one line `SU…`, 58 characters)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";

    fn no_env(_: &str) -> Option<std::ffi::OsString> {
        None
    }

    fn dir() -> PathBuf {
        crate::scratch::dir("access")
    }

    #[test]
    fn a_password_comes_from_the_environment_and_is_scrubbed() {
        let args = AccessArgs { nats_user: Some("viewer".into()), ..Default::default() };
        let env = |var: &str| (var == PASSWORD_VAR).then(|| "pa55-word".into());
        let access = Access::resolve("nats://h:1", &args, &env).unwrap();
        assert_eq!(access.source(), "user `viewer`, password from $SWITCHYARD_NATS_PASSWORD");
        assert_eq!(access.scrub("bad pa55-word!"), "bad ***!");
        assert!(!format!("{access:?}").contains("pa55"));
        let err = Access::resolve("nats://h:1", &args, &no_env).unwrap_err();
        assert_eq!(err, "--nats-user viewer needs its password in $SWITCHYARD_NATS_PASSWORD, which is not set");
        let env = |_: &str| Some("two\nlines".into());
        let err = Access::resolve("nats://h:1", &args, &env).unwrap_err();
        assert!(err.starts_with("$SWITCHYARD_NATS_PASSWORD holds a control character"), "{err}");
        assert!(!err.contains("two"), "{err}");
    }

    #[test]
    fn a_token_comes_from_a_file_or_the_environment() {
        let file = dir().join("token");
        std::fs::write(&file, "t0k-3n\n").unwrap();
        let args = AccessArgs { nats_token_file: Some(file.clone()), ..Default::default() };
        let access = Access::resolve("nats://h:1", &args, &no_env).unwrap();
        assert!(access.login == Login::Token("t0k-3n".into()));
        assert_eq!(access.scrub("t0k-3n"), "***");
        let env = |var: &str| (var == TOKEN_VAR).then(|| "env-t0k".into());
        let access = Access::resolve("nats://h:1", &AccessArgs::default(), &env).unwrap();
        assert!(access.login == Login::Token("env-t0k".into()));
        assert_eq!(access.source(), "the token in $SWITCHYARD_NATS_TOKEN");
        // The URL's credentials win over the variable; with a flag they are refused.
        let access = Access::resolve("nats://u:p@h:1", &AccessArgs::default(), &env).unwrap();
        assert!(access.login == Login::UserPassword("u".into(), "p".into()));
        let err = Access::resolve("nats://u:p@h:1", &args, &no_env).unwrap_err();
        assert!(err.starts_with("credentials given twice"), "{err}");
        std::fs::write(&file, "").unwrap();
        let err = Access::resolve("nats://h:1", &args, &no_env).unwrap_err();
        assert_eq!(err, format!("the token file {} is empty", file.display()));
        let missing = AccessArgs { nats_token_file: Some("/nonexistent/tok".into()), ..Default::default() };
        let err = Access::resolve("nats://h:1", &missing, &no_env).unwrap_err();
        assert_eq!(err, "cannot read the token file /nonexistent/tok: No such file or directory");
        // Bounded however the file looks: `/dev/zero` reports no length, and is refused at the limit.
        let zero = AccessArgs { nats_token_file: Some("/dev/zero".into()), ..Default::default() };
        let err = Access::resolve("nats://h:1", &zero, &no_env).unwrap_err();
        assert_eq!(err, "the token file /dev/zero is larger than 64 KiB");
        let big = dir().join("big-token");
        std::fs::write(&big, "x".repeat(64 * 1024 + 1)).unwrap();
        let args = AccessArgs { nats_token_file: Some(big.clone()), ..Default::default() };
        let err = Access::resolve("nats://h:1", &args, &no_env).unwrap_err();
        assert_eq!(err, format!("the token file {} is larger than 64 KiB", big.display()));
    }

    #[test]
    fn seeds_and_creds_files_are_told_apart_and_never_shown() {
        let file = dir().join("user.nk");
        std::fs::write(&file, format!("{SEED}\n")).unwrap();
        let args = AccessArgs { nats_creds: Some(file.clone()), ..Default::default() };
        let access = Access::resolve("nats://h:1", &args, &no_env).unwrap();
        assert!(access.login == Login::NKey(SEED.into()));
        assert_eq!(access.scrub(&format!("seed {SEED}")), "seed ***");
        std::fs::write(&file, "SUnot-a-seed\n").unwrap();
        let err = Access::resolve("nats://h:1", &args, &no_env).unwrap_err();
        assert!(err.contains("nor a user nkey seed") && !err.contains("not-a-seed"), "{err}");
        let creds = format!(
            "-----BEGIN NATS USER JWT-----\neyJ0eXAi.e30.c2ln\n------END NATS USER JWT------\n\n\
             -----BEGIN USER NKEY SEED-----\n{SEED}\n------END USER NKEY SEED------\n"
        );
        std::fs::write(&file, creds).unwrap();
        let access = Access::resolve("nats://h:1", &args, &no_env).unwrap();
        assert!(matches!(access.login, Login::Creds(_)));
        assert_eq!(access.scrub(SEED), "***");
    }
}
