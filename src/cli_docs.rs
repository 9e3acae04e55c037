//! Shell completion scripts and man pages, generated from the clap definitions in `cli`, so
//! they always match the commands.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory as _;
use clap_complete::Shell;

use crate::cli::Cli;

/// Writes the completion script for `shell`.
pub fn completions(shell: Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::command(), "aurora", out);
}

/// The command tree as the man pages describe it (no `help` pseudo-command: it has no page).
fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Writes `aurora(1)`: the global options and every command, each pointing at its own page.
pub fn man_page(out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all(render(command())?.as_bytes())
}

/// One page, with every non-ASCII character as a groff escape (`→` as `\[u2192]`): troff reads
/// its input as Latin-1 unless a preprocessor says otherwise, and warns on UTF-8.
fn render(cmd: clap::Command) -> std::io::Result<String> {
    let mut roff = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut roff)?;
    let text = String::from_utf8(roff).map_err(std::io::Error::other)?;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", u32::from(c)));
        }
    }
    Ok(out)
}

/// Writes `aurora.1` and one page per command (`aurora-status.1`, `aurora-systemd-install.1`,
/// …) into `dir`, creating it; returns the pages written.
pub fn man_pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut pages = Vec::new();
    write_pages(command(), dir, &mut pages)?;
    Ok(pages)
}

fn write_pages(cmd: clap::Command, dir: &Path, pages: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir, pages)?;
    }
    let path = dir.join(clap_mangen::Man::new(cmd.clone()).get_filename());
    std::fs::write(&path, render(cmd)?)?;
    pages.push(path);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_ascii_with_unicode_escapes() {
        let sub = clap::Command::new("aurora-x").about("fetch → trade … done");
        let page = render(sub).unwrap();
        assert!(page.is_ascii(), "{page}");
        assert!(
            page.contains("fetch \\[u2192] trade \\[u2026] done"),
            "{page}"
        );
    }
}
