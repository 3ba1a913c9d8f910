//! What the command-line tests share: where the workspace is, running the built binary as a user
//! would, and whether tshark is there to decode captures.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root: the command runs from there, as a user would.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn cases_dir() -> PathBuf {
    workspace().join("cases")
}

/// Run the built `rcs-interop` from the workspace root.
pub fn rcs_interop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rcs-interop"))
        .args(args)
        .current_dir(workspace())
        .output()
        .expect("run rcs-interop")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// tshark options for the suite's captures: try the heuristic dissectors (SIP, MSRP, HTTP) before
/// the port-registered ones, because the simulators' OS-chosen ports can land on a port another
/// protocol registers (TZSP's 37008, say) and tshark would then call SIP malformed TZSP.
#[allow(dead_code)]
pub const TSHARK_PREFS: [&str; 4] = [
    "-o",
    "udp.try_heuristic_first:TRUE",
    "-o",
    "tcp.try_heuristic_first:TRUE",
];

/// tshark is required in CI; a developer without it is told and the capture check is skipped.
pub fn tshark_available() -> bool {
    let ok = Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "tshark is required in CI (apt-get install tshark)"
        );
        eprintln!("notice: tshark not found; capture decoding not checked");
    }
    ok
}
