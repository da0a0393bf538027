//! The real binary in a real terminal: tmux runs `classlens` on a demo
//! database, keys go in with `send-keys`, the screen comes out with
//! `capture-pane`. Needs tmux (`.ci/run` installs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_classlens")
}

/// A private tmux server (its own socket), killed when the test ends.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(width: u16, height: u16, dir: &Path) -> Tmux {
        let found = Command::new("tmux").arg("-V").output();
        assert!(
            found.as_ref().is_ok_and(|o| o.status.success()),
            "this test drives the dashboard through tmux: install it (apt-get install tmux)"
        );
        // One server per test: the tests run in parallel.
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let tmux = Tmux {
            socket: format!(
                "classlens-test-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ),
        };
        let out = tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "-c",
            &dir.display().to_string(),
            "env -u NO_COLOR TERM=xterm-256color PS1='$ ' bash --norc --noprofile",
        ]);
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend(keys);
        let out = self.run(&args);
        assert!(out.status.success(), "send-keys {keys:?}");
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    /// Waits until the screen shows `text` (the dashboard works in the background).
    fn wait_for(&self, text: &str) -> String {
        self.wait_for_all(&[text])
    }

    /// Waits until the screen shows every one of `texts`: a capture can catch a
    /// frame half written, so one marker on screen does not mean the rest is.
    fn wait_for_all(&self, texts: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if texts.iter().all(|t| screen.contains(t)) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed all of {texts:?}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn display(&self, format: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", "e2e", format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn demo_db(dir: &Path) -> PathBuf {
    let db = dir.join("demo.duckdb");
    let out = Command::new(bin())
        .args([
            "--db",
            &db.display().to_string(),
            "demo",
            "--students",
            "60",
            "--no-tui",
        ])
        .output()
        .expect("run classlens demo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

/// The name of the `n`th student (from 0) of class c01 as the roster sorts them.
fn roster_name(db: &Path, n: usize) -> String {
    let out = Command::new(bin())
        .args([
            "--db",
            &db.display().to_string(),
            "query",
            "--csv",
            "/dev/stdout",
            "--sql",
            "SELECT display_name FROM students WHERE class_id = 'c01' \
             ORDER BY lower(display_name || ' ' || student_id)",
        ])
        .output()
        .expect("run classlens query");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8_lossy(&out.stdout).into_owned();
    csv.lines()
        .nth(n + 1)
        .expect("enough students")
        .trim()
        .to_string()
}

#[test]
fn a_teacher_opens_a_student_and_quits_leaving_the_terminal_sane() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = demo_db(dir.path());
    let expected = roster_name(&db, 1);
    let tmux = Tmux::start(120, 36, dir.path());
    tmux.wait_for("$");

    let done = dir.path().join("done.txt");
    tmux.keys(&[
        &format!(
            "{} --db {} ; echo \"exit=$?\" > {} ; stty -a >> {}",
            bin(),
            db.display(),
            done.display(),
            done.display()
        ),
        "Enter",
    ]);
    let classes = tmux.wait_for("Whole school");
    assert!(classes.contains("1 Classes"), "{classes}");
    assert!(classes.contains("data to 2026-06-"), "{classes}");
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "1",
        "the dashboard uses the alternate screen"
    );

    tmux.keys(&["Enter"]);
    let roster = tmux.wait_for_all(&["sorted by name", &expected]);
    assert!(roster.contains(&expected), "{expected} not in\n{roster}");

    // A second teacher reads the same file while the dashboard has it open.
    let out = Command::new(bin())
        .args(["--db", &db.display().to_string(), "stats"])
        .output()
        .expect("run classlens stats");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    tmux.keys(&["j", "Enter"]);
    let student = tmux.wait_for_all(&["Resources viewed", "3 Student: ", &expected, "answers, "]);
    assert!(student.contains("3 Student: "), "{student}");
    assert!(
        student.contains(&expected),
        "{expected} not open:\n{student}"
    );
    assert!(student.contains("answers, "), "{student}");
    assert!(student.contains("Interests & mood"), "{student}");

    // The window shrinks below 80x24 and grows back.
    assert!(
        tmux.run(&["resize-window", "-t", "e2e", "-x", "70", "-y", "20"])
            .status
            .success()
    );
    let small = tmux.wait_for("too small");
    assert!(small.contains("70x20"), "{small}");
    assert!(
        tmux.run(&["resize-window", "-t", "e2e", "-x", "120", "-y", "36"])
            .status
            .success()
    );
    tmux.wait_for("Resources viewed");

    // A database error is a message on screen, not a crash.
    tmux.keys(&[":"]);
    tmux.keys(&["-l", "SELECT nope FROM students"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the query failed");

    tmux.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&done).is_ok_and(|s| s.contains("speed")) {
        assert!(
            Instant::now() < deadline,
            "classlens did not quit:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let report = std::fs::read_to_string(&done).expect("exit report");
    assert!(report.starts_with("exit=0"), "{report}");
    // Cooked mode again: line editing and echo back on.
    let flags: Vec<&str> = report.split_whitespace().collect();
    for flag in ["icanon", "echo", "isig", "icrnl", "opost"] {
        assert!(
            flags.contains(&flag),
            "{flag} is off after quitting:\n{report}"
        );
    }
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "0",
        "back on the main screen"
    );
    assert_eq!(tmux.display("#{cursor_flag}"), "1", "the cursor is visible");
    let after = tmux.screen();
    assert!(!after.contains("Whole school"), "{after}");
}

#[test]
fn a_broken_database_is_an_ordinary_error_on_a_normal_screen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("broken.duckdb");
    std::fs::write(&db, b"this is not a database").expect("write");
    let tmux = Tmux::start(100, 30, dir.path());
    tmux.wait_for("$");
    let done = dir.path().join("done.txt");
    tmux.keys(&[
        &format!(
            "{} --db {} ; echo \"exit=$?\" > {}",
            bin(),
            db.display(),
            done.display()
        ),
        "Enter",
    ]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&done).is_ok_and(|s| s.contains("exit=")) {
        assert!(Instant::now() < deadline, "{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(50));
    }
    let report = std::fs::read_to_string(&done).expect("exit report");
    assert!(report.starts_with("exit=1"), "{report}");
    let screen = tmux.screen();
    assert!(
        screen.contains("broken.duckdb"),
        "the error names the file:\n{screen}"
    );
    assert_eq!(tmux.display("#{alternate_on}"), "0");
}
