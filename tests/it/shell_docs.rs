//! `aurora completions` and `aurora man`: scripts and pages that the shells and man accept.

use std::process::Command;

use crate::common::{MONDAY_0730_CT, Run, World};

#[test]
fn bash_completion_parses_and_completes_subcommands() {
    let w = World::at(MONDAY_0730_CT);
    let script = Run::new(w.home.path())
        .args(&["completions", "bash"])
        .run()
        .code(0)
        .stdout;
    let path = w.home.path().join("aurora.bash");
    std::fs::write(&path, &script).unwrap();
    let check = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // What bash does on `aurora <TAB>` and `aurora config <TAB>`.
    let complete = |words: &str| {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
                 COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}; \
                 _aurora aurora \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
                 printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                path.display()
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let top = complete("aurora ''");
    for sub in [
        "init",
        "config",
        "preflight",
        "status",
        "completions",
        "man",
        "systemd",
    ] {
        assert!(top.lines().any(|l| l == sub), "{sub} not offered:\n{top}");
    }
    assert_eq!(complete("aurora st").trim(), "status");
    assert!(complete("aurora config ''").lines().any(|l| l == "paths"));
    assert!(
        complete("aurora completions ''")
            .lines()
            .any(|l| l == "zsh")
    );

    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let done = Run::new(w.home.path())
            .args(&["completions", shell])
            .run()
            .code(0);
        assert!(done.stdout.contains("aurora"), "{shell}");
    }
}

/// `groff` with every warning on, or a test failure that says what to install.
fn groff_warnings(page: &std::path::Path) -> String {
    let out = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(page)
        .output()
        .unwrap_or_else(|e| {
            panic!("groff is needed to check the man pages ({e}): install groff-base (scripts/test.sh does as root)")
        });
    assert!(out.status.success(), "groff failed on {}", page.display());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn man_pages_render_without_warnings() {
    let w = World::at(MONDAY_0730_CT);
    let page = Run::new(w.home.path()).args(&["man"]).run().code(0).stdout;
    assert!(page.contains("\n.TH aurora 1 "), "{page}");
    for sub in [
        "aurora\\-init(1)",
        "aurora\\-config(1)",
        "aurora\\-status(1)",
    ] {
        assert!(page.contains(sub), "{sub} not listed");
    }
    let top = w.home.path().join("aurora.1");
    std::fs::write(&top, &page).unwrap();
    assert_eq!(groff_warnings(&top), "");

    let dir = w.home.path().join("man/man1");
    let listed = Run::new(w.home.path())
        .args(&["man", "--dir", dir.to_str().unwrap()])
        .run()
        .code(0)
        .stdout;
    let pages: Vec<&str> = listed.lines().collect();
    for name in [
        "aurora.1",
        "aurora-init.1",
        "aurora-config-paths.1",
        "aurora-systemd-install.1",
    ] {
        assert!(
            pages.iter().any(|p| p.ends_with(&format!("/{name}"))),
            "{name}:\n{listed}"
        );
    }
    for p in &pages {
        assert_eq!(groff_warnings(std::path::Path::new(p)), "", "{p}");
    }
}
