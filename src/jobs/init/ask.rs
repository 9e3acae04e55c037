//! The questions `aurora init` asks on a terminal: prompts on stderr, answers from stdin, the
//! secret from the terminal with echo off.

use std::io::{BufRead as _, Write as _};

use crate::exit::Usage;
use crate::types::Secret;

/// Where answers come from.
pub trait Ask {
    /// One line of answer to `prompt`, trimmed.
    fn line(&mut self, prompt: &str) -> anyhow::Result<String>;
    /// A secret, typed without echo.
    fn secret(&mut self, prompt: &str) -> anyhow::Result<String>;
    /// Tells the person something (an answer that did not do, a note).
    fn say(&mut self, text: &str);
}

/// The controlling terminal.
pub struct Terminal;

impl Ask for Terminal {
    fn line(&mut self, prompt: &str) -> anyhow::Result<String> {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{prompt}").and_then(|()| err.flush());
        let mut answer = String::new();
        if std::io::stdin().lock().read_line(&mut answer)? == 0 {
            return Err(Usage("no answer (end of input): nothing was written".into()).into());
        }
        Ok(answer.trim().to_owned())
    }

    fn secret(&mut self, prompt: &str) -> anyhow::Result<String> {
        // rpassword turns echo off on the terminal for the read, and back on after it.
        Ok(rpassword::prompt_password(prompt)?.trim().to_owned())
    }

    fn say(&mut self, text: &str) {
        eprintln!("{text}");
    }
}

/// The secret from the first line of standard input (`--secret-stdin`).
pub fn secret_from_stdin() -> anyhow::Result<Secret> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let line = line.trim();
    if line.is_empty() {
        return Err(Usage("--secret-stdin: standard input held no secret".into()).into());
    }
    Ok(Secret::new(line))
}
