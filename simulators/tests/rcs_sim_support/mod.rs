//! `rcs-sim message-center` as a separate process on an OS-chosen port, for the tests that treat it
//! as an external system under test.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

/// The running process and the address it announced; killed when dropped.
pub struct Sim {
    child: Child,
    pub addr: SocketAddr,
}

impl Sim {
    pub fn start(extra: &[&str]) -> Sim {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rcs-sim"))
            .args(["message-center", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rcs-sim");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the ready line");
        // "rcs-sim message-center listening on udp 127.0.0.1:P tcp 127.0.0.1:P"
        let addr = line
            .split_whitespace()
            .skip_while(|w| *w != "udp")
            .nth(1)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected ready line: {line:?}"));
        Sim { child, addr }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
